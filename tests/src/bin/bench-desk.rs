//! OMCT's desk: importing a received case of 1 GiB into the desk's store,
//! beside `age -d` (the Go reference, Debian's `age`) decrypting the same
//! bundle to a file; and the inbox of
//! 10,000 received cases, beside a vault's case list of the same size.
//!
//! The import runs the real `desk open` on a bundle a real field vault
//! sealed for a device the desk approved through a real intake server on
//! loopback, lying in the desk's inbox where a pull puts it: one pass that
//! decrypts and verifies every hash and signature, and keeps the bundle in
//! the store as it arrived (sealed to OMCT's key). `age -d` only decrypts
//! and writes; the ratio (age time / import time, at least 0.8 wanted)
//! says what the checks cost on top. The same import from a file outside
//! the inbox (a USB stick), which is copied into the store as it is read, is
//! printed beside it.
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

use temoin_bundle::{read_bundle, PayloadIdentity, Purpose, ReadOptions};
use temoin_tests::{desk, field_vault, ms, omct, report};
use temoin_vault::case::Case;
use temoin_vault::desk_records::{CaseSummary, Triage, TriageState};
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, KdfChoice, Kind, Passphrase, Vault};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn best(samples: &[Duration]) -> Duration {
    samples.iter().copied().min().unwrap_or_default()
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
    // One bundle per round (the same case, amended), so that every round
    // imports a bundle the store does not hold yet; the last one comes
    // from a file outside the inbox, as from a USB stick.
    const ROUNDS: usize = 3;
    let mut bundles = Vec::new();
    for round in 0..=ROUNDS {
        let file = work.join(format!("sent-{round}.tar.age"));
        v.export_bundle_to_file(
            case,
            &ExportOptions {
                purpose: Purpose::ShareWithOmct,
                recipients: vec![e.recipients[0].parse()?, ours.recipient()],
                supersedes: None,
                part: None,
            },
            &file,
        )?;
        let id = read_bundle(
            std::io::BufReader::new(std::fs::File::open(&file)?),
            std::slice::from_ref(&ours),
            &ReadOptions {
                trusted_devices: &[],
                out_dir: None,
            },
        )?
        .manifest
        .ok_or("the bench's bundle has no manifest")?
        .bundle_id;
        bundles.push((file, id));
    }
    drop(v);
    let bytes = std::fs::metadata(&bundles[0].0)?.len();
    // Gigabytes were just written: let them reach the disk before anything
    // is timed, so that neither side pays for the other's writeback.
    Command::new("sync").status()?;

    let age_d = |bundle: &std::path::Path| -> Result<(Duration, f64), Error> {
        let out = work.join("age.tar");
        let _ = std::fs::remove_file(&out);
        let t = Instant::now();
        let (_, children_before) = temoin_tests::cpu_seconds()?;
        let status = Command::new(&age)
            .args(["-d", "-i"])
            .arg(&key_file)
            .arg("-o")
            .arg(&out)
            .arg(bundle)
            .status()
            .map_err(|e| format!("cannot run age (scripts/deps.sh installs it): {e}"))?;
        if !status.success() {
            return Err("age failed".into());
        }
        std::fs::File::open(&out)?.sync_all()?;
        let took = t.elapsed();
        let cpu = temoin_tests::cpu_seconds()?.1 - children_before;
        std::fs::remove_file(&out)?;
        Ok((took, cpu))
    };
    let import = |only: Option<&std::path::Path>| -> Result<(Duration, f64), Error> {
        let mut d = desk::unlock(&o.desk)?;
        let t = Instant::now();
        let (self_before, _) = temoin_tests::cpu_seconds()?;
        let opened = d.open(only)?;
        let took = t.elapsed();
        let cpu = temoin_tests::cpu_seconds()?.0 - self_before;
        match opened.first() {
            Some(o) if o.accepted() => Ok((took, cpu)),
            Some(o) => Err(format!("the desk flagged the bundle: {:?}", o.report.problems).into()),
            None => Err("the desk opened nothing".into()),
        }
    };

    let mut ours_t = Vec::new();
    let mut age_t = Vec::new();
    let (mut ours_cpu, mut age_cpu) = (f64::MAX, f64::MAX);
    for (file, id) in &bundles[..ROUNDS] {
        // The reference at its best: twice on each bundle.
        for _ in 0..2 {
            let (t, cpu) = age_d(file)?;
            age_t.push(t);
            age_cpu = age_cpu.min(cpu);
        }
        // Where a pull puts it; the pull's copy is not timed.
        let inbox = o.desk.join("inbox").join(format!("{id}.tar.age"));
        std::fs::copy(file, &inbox)?;
        std::fs::File::open(&inbox)?.sync_all()?;
        let (t, cpu) = import(None)?;
        ours_t.push(t);
        ours_cpu = ours_cpu.min(cpu);
    }
    let (ours_b, age_b) = (best(&ours_t), best(&age_t));
    let mib_s = |d: Duration| bytes as f64 / 1048576.0 / d.as_secs_f64();
    println!(
        "bundle of {:.0} MiB from the inbox: desk open {:.0} ms ({:.0} MiB/s), age -d {:.0} ms ({:.0} MiB/s)",
        bytes as f64 / 1048576.0,
        ms(ours_b),
        mib_s(ours_b),
        ms(age_b),
        mib_s(age_b)
    );
    println!("CPU time: desk open {ours_cpu:.2} s over its threads, age -d {age_cpu:.2} s");
    let ratio = age_b.as_secs_f64() / ours_b.as_secs_f64();
    report(
        "import into the desk's store vs age -d",
        &format!("ratio {ratio:.2} (age time / import time)"),
        ">= 0.8",
        ratio >= 0.8,
    );
    // From a stick: the file is copied into the store before it is checked.
    let stick = &bundles[ROUNDS].0;
    let (age_s, _) = age_d(stick)?;
    let age_s = age_s.min(age_d(stick)?.0);
    let (ours_s, _) = import(Some(stick))?;
    let ratio = age_s.as_secs_f64() / ours_s.as_secs_f64();
    println!(
        "the same from a file outside the inbox (copied into the store as it is read): desk open {:.0} ms, age -d {:.0} ms, ratio {ratio:.2}",
        ms(ours_s),
        ms(age_s)
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
                    files_follow: false,
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
    // Gigabytes of bundles, vaults and desks: not left on the disk.
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
