//! Shared pieces of Témoin's cross-crate suites and benchmarks: running a
//! child process with its peak memory, percentiles, and printing a
//! measurement beside its same-run reference.
//!
//! A benchmark here never asserts on time: it prints figures and ratios
//! against a reference measured in the same run (DESIGN §6, STYLE 9).

use std::process::{Command, Stdio};
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

/// Runs a command to completion and reports its time and peak memory.
///
/// The command runs under GNU `time` (`/usr/bin/time -f %M`), whose small
/// process is the one that forks it. Measuring with `wait4` from here would
/// not do: Linux carries the forking process's peak memory over into the
/// child's across `exec`, so every child would report at least this
/// benchmark's own peak.
pub fn run_measured(cmd: &Command) -> std::io::Result<ChildCost> {
    let report = std::env::temp_dir().join(format!("temoin-bench-rss-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let start = Instant::now();
    let status = timed.status().map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot run /usr/bin/time (Debian package `time`; make bench installs it): {e}"
            ),
        )
    })?;
    let elapsed = start.elapsed();
    let text = std::fs::read_to_string(&report)?;
    let _ = std::fs::remove_file(&report);
    let max_rss_kib = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .ok_or_else(|| std::io::Error::other("GNU time printed no peak memory"))?;
    Ok(ChildCost {
        elapsed,
        max_rss_kib,
        success: status.success(),
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
