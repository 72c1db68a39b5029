//! `temoin wipe` and the CLI's process hygiene, through the real binary.

mod common;

use std::process::{Command, Stdio};

use common::*;

#[test]
fn wipe_destroys_the_vault_and_the_passphrase_opens_nothing_after() {
    let f = Fixture::new();
    f.new_case("Held at the checkpoint");
    // Without --yes and without a terminal, nothing happens.
    let refused = temoin(&f.vault, &["wipe"]);
    assert_fails(&refused, 1, &["--yes"]);
    assert!(f.vault.join("keyslots.json").exists());

    let out = assert_json(&temoin(&f.vault, &["wipe", "--yes", "--json"]));
    assert_eq!(out["slot_files_destroyed"], 1);
    assert_eq!(out["folder_removed"], true);
    assert!(!f.vault.exists());
    let after = f.run(&["case", "list"]);
    assert_fails(&after, 1, &["no vault found"]);
}

#[cfg(target_os = "linux")]
#[test]
fn the_cli_runs_without_core_dumps() {
    // A command that waits (for a passphrase on standard input) long
    // enough to look at the process from outside.
    let f = Fixture::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_temoin"))
        .arg("--vault")
        .arg(&f.vault)
        .args(["--passphrase-file", "/dev/stdin", "case", "list"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let limits_path = format!("/proc/{}/limits", child.id());
    let mut limits = String::new();
    for _ in 0..250 {
        limits = std::fs::read_to_string(&limits_path).unwrap_or_default();
        // Soft and hard limits both 0 (a soft limit of 0 alone may be
        // inherited from the environment).
        if limits.lines().any(|l| {
            l.starts_with("Max core file size")
                && l.split_whitespace().skip(4).take(2).eq(["0", "0"])
        }) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("a core size line");
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
}

/// The wrong-passphrase count is on disk before the key derivation runs:
/// a process killed with SIGKILL in the middle of an attempt has counted
/// it. The vault uses the calibrated derivation (over half a second), and
/// the process is killed as soon as the count appears.
#[cfg(target_os = "linux")]
#[test]
fn an_attempt_killed_during_the_key_derivation_is_still_counted() {
    let f = Fixture::uninitialised();
    f.ok(&["init"]);
    let counter = f.vault.join("attempts");
    assert_eq!(std::fs::read_to_string(&counter).expect("counter"), "0");
    let wrong = f.file("wrong.txt", b"not the passphrase\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_temoin"))
        .arg("--vault")
        .arg(&f.vault)
        .args(["--passphrase-file", s(&wrong), "case", "list"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut counted = false;
    for _ in 0..2000 {
        if std::fs::read_to_string(&counter).is_ok_and(|c| c == "1") {
            counted = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(counted, "the attempt was never counted");
    // Killed, not finished: the derivation was still running.
    assert!(
        status.code().is_none(),
        "the process had already finished: {status}"
    );
    assert_eq!(std::fs::read_to_string(&counter).expect("counter"), "1");
    // The next run counts on from there.
    let out = f.run_with_pass(&wrong, &["case", "list"]);
    assert_fails(&out, 1, &["wrong passphrase"]);
    assert_eq!(std::fs::read_to_string(&counter).expect("counter"), "2");
}

#[test]
fn a_duress_passphrase_is_set_used_and_removed_through_the_cli() {
    let f = Fixture::new();
    f.new_case("Held at the checkpoint");
    let duress = f.file("duress.txt", b"grocery list for tuesday\n");
    f.ok(&[
        "duress",
        "--outcome",
        "decoy",
        "--duress-passphrase-file",
        s(&duress),
    ]);
    // The duress passphrase opens the empty spare vault.
    let listed = assert_json(&f.run_with_pass(&duress, &["case", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    // Neither --outcome nor --remove: clap refuses, naming the options.
    assert_fails(&f.run(&["duress"]), 2, &["--outcome"]);
    // Removing from the spare vault answers as a vault without a duress
    // passphrase would; nothing changes.
    assert_fails(
        &f.run_with_pass(&duress, &["duress", "--remove"]),
        1,
        &["no duress passphrase is set"],
    );
    assert!(f.vault.join("spare").exists());
    let out = f.ok(&["duress", "--remove"]);
    assert!(out.contains("removed"), "{out}");
    assert!(!f.vault.join("spare").exists());
    assert_fails(
        &f.run_with_pass(&duress, &["case", "list"]),
        1,
        &["wrong passphrase"],
    );
    let listed = assert_json(&f.run(&["case", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_fails(
        &f.run(&["duress", "--remove"]),
        1,
        &["no duress passphrase is set"],
    );
}
