//! Crash test: a child process writes cases, edits and evidence payloads and
//! prints each id once the vault has acknowledged it; the parent kills it
//! with SIGKILL at random moments. After each kill the vault must unlock,
//! hold every acknowledged item exactly as written, verify completely, and
//! hold nothing half-stored (no payload without a record, no record without
//! its payload, nothing left in staging).
//!
//! `CRASH_CYCLES` sets the number of kills (200 in `make test`, more in
//! `make soak`); `CRASH_SEED` replays a run.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use temoin_vault::case::{Case, Evidence};
use temoin_vault::{ItemId, KdfChoice, Kind, Passphrase, Vault};

const CHILD_ENV: &str = "TEMOIN_CRASH_CHILD";

fn pass() -> Passphrase {
    Passphrase::from("crash test passphrase")
}

/// xorshift64*: enough randomness for timings and sizes, and replayable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The child: writes until killed, announcing each acknowledged write.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let seed: u64 = std::env::var("CRASH_CHILD_SEED").unwrap().parse().unwrap();
    let mut rng = Rng(seed | 1);
    let mut vault = Vault::unlock(&dir, &pass()).unwrap();
    let out = std::io::stdout();
    let mut cases: Vec<ItemId> = vault.list(Kind::Case);
    loop {
        match rng.below(4) {
            0 | 1 if !cases.is_empty() => {
                let case = cases[rng.below(cases.len() as u64) as usize];
                let len = rng.below(200_000) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let staged = vault.stage_payload(&bytes[..], &mut |_| {}).unwrap();
                let stored = vault.add_evidence(staged, Evidence::new(case)).unwrap();
                let hash = hex(&Sha256::digest(&bytes));
                writeln!(out.lock(), "ACK evidence {} {hash}", stored.id).unwrap();
            }
            2 if !cases.is_empty() => {
                let case = cases[rng.below(cases.len() as u64) as usize];
                let mut record = vault.require::<Case>(case).unwrap().record;
                record.title = format!("edited {}", rng.next());
                let rev = vault.update(case, &record).unwrap();
                writeln!(out.lock(), "ACK edit {case} {rev} {}", record.title).unwrap();
            }
            _ => {
                let title = format!("case {}", rng.next());
                let id = vault.add(&Case::new(title.clone())).unwrap();
                cases.push(id);
                writeln!(out.lock(), "ACK case {id} 0 {title}").unwrap();
            }
        }
        out.lock().flush().unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Default)]
struct Acked {
    /// Case id → (latest acknowledged revision, its title).
    cases: BTreeMap<ItemId, (u32, String)>,
    /// Evidence id → SHA-256.
    evidence: BTreeMap<ItemId, String>,
}

fn record(acked: &mut Acked, line: &str) {
    let parts: Vec<&str> = line.splitn(5, ' ').collect();
    match parts.as_slice() {
        ["ACK", "evidence", id, hash] => {
            acked
                .evidence
                .insert(id.parse().unwrap(), (*hash).to_owned());
        }
        ["ACK", "case" | "edit", id, rev, title] => {
            acked.cases.insert(
                id.parse().unwrap(),
                (rev.parse().unwrap(), (*title).to_owned()),
            );
        }
        _ => {}
    }
}

fn check(dir: &Path, acked: &Acked, cycle: usize, seed: u64) {
    let ctx = format!("cycle {cycle}, CRASH_SEED={seed}");
    let vault = Vault::unlock(dir, &pass()).unwrap_or_else(|e| {
        // Keep the evidence: the vault as the crash left it.
        let keep = std::env::temp_dir().join(format!("temoin-crash-failure-{seed}"));
        let _ = std::process::Command::new("cp")
            .arg("-a")
            .arg(dir)
            .arg(&keep)
            .status();
        panic!("{ctx}: unlock: {e} (vault kept in {})", keep.display())
    });
    assert!(
        vault.damaged().is_empty(),
        "{ctx}: damaged {:?}",
        vault.damaged()
    );
    for (id, (rev, title)) in &acked.cases {
        let case = vault
            .require::<Case>(*id)
            .unwrap_or_else(|e| panic!("{ctx}: acknowledged case {id} missing: {e}"));
        // A later, unacknowledged edit may have landed; never an earlier one.
        assert!(case.revision >= *rev, "{ctx}: case {id} went back");
        if case.revision == *rev {
            assert_eq!(&case.record.title, title, "{ctx}");
        }
    }
    for (id, hash) in &acked.evidence {
        let e = vault
            .require::<Evidence>(*id)
            .unwrap_or_else(|e| panic!("{ctx}: acknowledged evidence {id} missing: {e}"));
        assert_eq!(&e.record.sha256, hash, "{ctx}");
    }
    let report = vault.verify().unwrap();
    assert!(report.is_ok(), "{ctx}: {:?}", report.problems);
    // Nothing half-stored: one payload per evidence record, empty staging.
    let blobs = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "age")
        })
        .count();
    assert_eq!(blobs, vault.list(Kind::Evidence).len(), "{ctx}");
    assert_eq!(
        std::fs::read_dir(dir.join("blobs").join("staging"))
            .unwrap()
            .count(),
        0,
        "{ctx}"
    );
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: usize = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash test: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let root = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut dir = PathBuf::new();
    let mut acked = Acked::default();
    let mut total_acks = 0usize;
    let mut cycles_with_acks = 0usize;
    let started = Instant::now();
    for cycle in 0..cycles {
        // A fresh vault now and then keeps each check quick.
        if cycle % 25 == 0 {
            dir = root.path().join(format!("v{cycle}"));
            Vault::create(&dir, &pass(), KdfChoice::Minimum).unwrap();
            acked = Acked::default();
        }
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &dir)
            .env("CRASH_CHILD_SEED", rng.next().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("ACK ") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill anywhere from during unlock to well into the writing.
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        // Killed by our signal, not ended by itself (a child that panics at
        // unlock would otherwise pass with nothing acknowledged).
        assert_eq!(
            status.signal(),
            Some(9),
            "cycle {cycle}: the child ended by itself, not by SIGKILL: {status:?} (CRASH_SEED={seed})"
        );
        reader.join().unwrap();
        let before = total_acks;
        for line in rx.try_iter() {
            record(&mut acked, &line);
            total_acks += 1;
        }
        if total_acks > before {
            cycles_with_acks += 1;
        }
        check(&dir, &acked, cycle, seed);
    }
    eprintln!(
        "crash test: {cycles} kills, {cycles_with_acks} after at least one acknowledged write, \
         {total_acks} acknowledged writes, all present and verified ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    // The check above means something only if writes were acknowledged
    // before the kills: most kills come 20 to 420 ms in, after an unlock of
    // a few milliseconds, so most cycles see some.
    assert!(
        cycles_with_acks * 4 >= cycles && total_acks > 0,
        "only {cycles_with_acks} of {cycles} cycles acknowledged a write before the kill: \
         the child is not writing (CRASH_SEED={seed})"
    );
}
