//! OMCT's desk: importing a received case of 1 GiB into the desk's store,
//! beside `age -d` (the Go reference, Debian's `age`) decrypting the same
//! bundle to a file; and the inbox of
//! 10,000 received cases, beside a vault's case list of the same size.
//!
//! The import runs the real `desk open` on a bundle a real field vault
//! sealed for a device the desk approved through a real intake server on
//! loopback: one pass that decrypts, verifies every hash and signature and
//! seals the archive again under the store's key. `age -d` only decrypts
//! and writes; the ratio (age time / import time, at least 0.8 wanted)
//! says what the checks and the store's encryption cost on top.
//!
//! The inbox is `Desk::cases` (every triage row read and sorted) on a desk
//! store holding 10,000 rows, beside the same reading of 10,000 case
//! records in a vault (list, read each, sort).
//!
//! Usage: `bench-desk [--size-mib N] [--cases N]` (defaults 1024 and
//! 10000). Needs `age` on PATH (`scripts/deps.sh` installs it).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use temoin_bundle::{PayloadIdentity, Purpose};
use temoin_tests::{desk, field_vault, ms, omct, report};
use temoin_vault::case::Case;
use temoin_vault::desk_records::{CaseSummary, Triage, TriageState};
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, KdfChoice, Kind, Passphrase, Vault};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn best(samples: &[Duration]) -> Duration {
    samples.iter().copied().min().unwrap_or_default()
}

/// CPU time used so far by this process (all its threads) and by its
/// children that were waited for, in seconds, from `/proc/self/stat`
/// (user + system, in clock ticks of 1/100 s on Linux).
fn cpu_seconds() -> Result<(f64, f64), Error> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or("unreadable /proc/self/stat")?;
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17: 11-14 after the name.
    let tick = 100.0;
    Ok(((f[11] + f[12]) / tick, (f[13] + f[14]) / tick))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let size_mib: usize = temoin_tests::arg("--size-mib", 1024)?;
    let cases: usize = temoin_tests::arg("--cases", 10_000)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let age = PathBuf::from("age");
    let work = root.join("target/bench/desk");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    // A desk on a real intake server, a field vault enrolled with it and
    // approved, and one case with a large evidence file.
    let o = omct::start(&work, None).await?;
    let (mut v, case, _) = field_vault(&work.join("vault"), size_mib * 1024 * 1024);
    let e = omct::enroll(&o.desk, &o.endpoint, &mut v, "bench device").await?;
    desk::pull(&o.desk).await?;
    // Sealed to OMCT and to a key of the bench's own, for age.
    let ours = PayloadIdentity::generate();
    let key_file = work.join("bench.key");
    std::fs::write(&key_file, ours.key_file_for_export().as_bytes())?;
    let bundle = work.join("case.tar.age");
    v.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![e.recipients[0].parse()?, ours.recipient()],
            supersedes: None,
        },
        &bundle,
    )?;
    drop(v);
    let bytes = std::fs::metadata(&bundle)?.len();

    let mut ours_t = Vec::new();
    let mut age_t = Vec::new();
    let (mut ours_cpu, mut age_cpu) = (f64::MAX, f64::MAX);
    for round in 0..3 {
        let out = work.join("age.tar");
        let _ = std::fs::remove_file(&out);
        let t = Instant::now();
        let (_, children_before) = cpu_seconds()?;
        let status = Command::new(&age)
            .args(["-d", "-i"])
            .arg(&key_file)
            .arg("-o")
            .arg(&out)
            .arg(&bundle)
            .status()
            .map_err(|e| format!("cannot run age (scripts/deps.sh installs it): {e}"))?;
        if !status.success() {
            return Err("age failed".into());
        }
        std::fs::File::open(&out)?.sync_all()?;
        age_t.push(t.elapsed());
        age_cpu = age_cpu.min(cpu_seconds()?.1 - children_before);
        std::fs::remove_file(&out)?;

        // A copy under a new name: each round is opened from the start
        // (the first files the case; the others find it filed and keep
        // it, after the same decryption, checks and sealing).
        let file = work.join(format!("round-{round}.tar.age"));
        std::fs::copy(&bundle, &file)?;
        let mut d = desk::unlock(&o.desk)?;
        let t = Instant::now();
        let (self_before, _) = cpu_seconds()?;
        let opened = d.open(Some(&file))?;
        ours_t.push(t.elapsed());
        ours_cpu = ours_cpu.min(cpu_seconds()?.0 - self_before);
        if !opened[0].accepted() {
            return Err(format!(
                "the desk flagged the bundle: {:?}",
                opened[0].report.problems
            )
            .into());
        }
    }
    let (ours_b, age_b) = (best(&ours_t), best(&age_t));
    let mib_s = |d: Duration| bytes as f64 / 1048576.0 / d.as_secs_f64();
    println!(
        "bundle of {:.0} MiB: desk open {:.0} ms ({:.0} MiB/s), age -d {:.0} ms ({:.0} MiB/s)",
        bytes as f64 / 1048576.0,
        ms(ours_b),
        mib_s(ours_b),
        ms(age_b),
        mib_s(age_b)
    );
    // What the machine allows: the import's CPU time spread over every
    // core at once is the least time it can take here.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let floor = ours_cpu / cores;
    println!(
        "CPU time: desk open {ours_cpu:.2} s over its threads, age -d {age_cpu:.2} s; with {cores:.0} cores the open takes at least {floor:.2} s here, so the best ratio this machine allows is {:.2}",
        age_b.as_secs_f64() / floor
    );
    let ratio = age_b.as_secs_f64() / ours_b.as_secs_f64();
    report(
        "import into the desk's store vs age -d",
        &format!("ratio {ratio:.2} (age time / import time)"),
        ">= 0.8",
        ratio >= 0.8,
    );

    // The inbox: rows written through the store's own API.
    {
        let mut store = Vault::unlock(&o.desk.join("store"), &Passphrase::from(desk::PASSPHRASE))?;
        let rows: Vec<Triage> = (0..cases)
            .map(|i| Triage {
                device_key_id: format!("{:016X}", i % 200),
                device_label: Some(format!("organisation {}", i % 200)),
                case: ItemId::random(),
                state: TriageState::ALL[i % TriageState::ALL.len()],
                note: None,
                bundles: vec![ItemId::random()],
                received_at: format!("2026-{:02}-{:02}T10:00:00Z", 1 + i % 12, 1 + i % 28),
                summary: CaseSummary {
                    title: format!("Received case {i}"),
                    country: Some("TN".into()),
                    urgent: i % 17 == 0,
                    violations: vec!["torture".into()],
                },
            })
            .collect();
        for chunk in rows.chunks(1000) {
            store.add_many(chunk)?;
        }
    }
    let vault_dir = work.join("reference");
    {
        let mut v = Vault::create(
            &vault_dir,
            &Passphrase::from("reference"),
            KdfChoice::Minimum,
        )?;
        let records: Vec<Case> = (0..cases)
            .map(|i| {
                let mut c = Case::new(format!("Case {i}"));
                c.urgent = i % 17 == 0;
                c.country = Some("TN".into());
                c
            })
            .collect();
        for chunk in records.chunks(1000) {
            v.add_many(chunk)?;
        }
    }
    let d = desk::unlock(&o.desk)?;
    let v = Vault::unlock(&vault_dir, &Passphrase::from("reference"))?;
    let mut inbox_t = Vec::new();
    let mut list_t = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let rows = d.cases()?;
        inbox_t.push(t.elapsed());
        assert!(rows.len() > cases);
        let t = Instant::now();
        let mut list: Vec<Case> = v
            .list(Kind::Case)
            .into_iter()
            .filter_map(|id| v.get::<Case>(id).ok().flatten())
            .map(|s| s.record)
            .collect();
        list.sort_by(|a, b| b.urgent.cmp(&a.urgent).then(a.title.cmp(&b.title)));
        list_t.push(t.elapsed());
        assert_eq!(list.len(), cases);
    }
    let (i, l) = (best(&inbox_t), best(&list_t));
    println!(
        "{cases} received cases: desk inbox {:.1} ms, vault case list of the same size {:.1} ms",
        ms(i),
        ms(l)
    );
    let ratio = i.as_secs_f64() / l.as_secs_f64();
    report(
        "desk inbox vs vault case list",
        &format!("ratio {ratio:.2} (inbox / case list)"),
        "<= 2",
        ratio <= 2.0,
    );
    Ok(())
}
