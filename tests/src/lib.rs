//! Shared pieces of Témoin's cross-crate suites and benchmarks: running a
//! child process with its peak memory, percentiles, and printing a
//! measurement beside its same-run reference.
//!
//! A benchmark here never asserts on time: it prints figures and ratios
//! against a reference measured in the same run (DESIGN §6, STYLE 9).

use std::process::Command;
use std::time::{Duration, Instant};

/// What a child process cost.
#[derive(Clone, Copy, Debug)]
pub struct ChildCost {
    /// Wall-clock time from spawn to exit.
    pub elapsed: Duration,
    /// Peak resident memory, in KiB.
    pub max_rss_kib: u64,
    /// Whether it exited with status 0.
    pub success: bool,
}

/// Runs a command to completion and reports its time and peak memory
/// (from `wait4`'s resource usage, for that child alone).
pub fn run_measured(cmd: &mut Command) -> std::io::Result<ChildCost> {
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own
    // child, which we reap here instead of through `Child::wait`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let elapsed = start.elapsed();
    // `child` was reaped above; dropping it does not wait again.
    drop(child);
    Ok(ChildCost {
        elapsed,
        max_rss_kib: usage.ru_maxrss as u64,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    })
}

/// The `p`-th percentile (0–100) of some durations.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints one result line in a fixed, greppable form.
pub fn report(name: &str, value: &str, budget: &str, verdict: bool) {
    println!(
        "{name:<44} {value:<40} budget {budget:<14} {}",
        if verdict { "within" } else { "OVER" }
    );
}
