//! The systemd unit shipped for OMCT's administrators
//! (`intake/temoin-intake.service`), checked by systemd's own tools:
//! `systemd-analyze verify` (every directive known and well formed, the
//! program there) and `systemd-analyze security --offline` (its exposure
//! score stays at most 2.0 out of 10, so a hardening line cannot be lost
//! unnoticed).
//!
//! `verify` needs the program that `ExecStart=` names to exist, and the
//! unit names where an administrator installs it
//! (`/usr/local/bin/temoin-intake`). So a copy of the unit, with only that
//! path changed to the binary this build made, is checked in a temporary
//! folder under the same file name; every other line is the shipped one.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = include_str!("../temoin-intake.service");
const INSTALLED: &str = "/usr/local/bin/temoin-intake";

/// The unit, as shipped but for `ExecStart=`'s program, in a temporary
/// folder (kept alive by the returned guard).
fn unit_copy() -> (tempfile::TempDir, PathBuf) {
    let exec = UNIT
        .lines()
        .filter(|l| l.starts_with("ExecStart="))
        .collect::<Vec<_>>();
    assert_eq!(
        exec,
        [format!("ExecStart={INSTALLED} serve --config /etc/temoin-intake/config.toml").as_str()],
        "the unit must start the installed binary with the configuration file"
    );
    let text = UNIT.replace(
        &format!("ExecStart={INSTALLED} "),
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_temoin-intake")),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("temoin-intake.service");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Runs `systemd-analyze ARGS UNIT`, failing with what to install if the
/// tool is missing.
fn systemd_analyze(args: &[&str], unit: &Path) -> std::process::Output {
    Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run systemd-analyze ({e}): it checks the intake server's systemd unit. \
                 Install the Debian package `systemd` (`make deps` does)."
            )
        })
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let (_dir, unit) = unit_copy();
    let out = systemd_analyze(&["verify"], &unit);
    let said = String::from_utf8_lossy(&out.stderr);
    // A directive systemd does not know is only a warning to `verify`:
    // any word from it fails the test too.
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify {} (status {}):\n{said}{}",
        unit.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_unit_keeps_its_exposure_low() {
    let (_dir, unit) = unit_copy();
    // --threshold is on a scale of 0 to 100: 20 is an exposure of 2.0.
    let out = systemd_analyze(&["security", "--offline=yes", "--threshold=20"], &unit);
    assert!(
        out.status.success(),
        "systemd-analyze security rates the unit's exposure above 2.0 (status {}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
