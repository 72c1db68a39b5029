//! Ingest of a large random file against `rage` encrypting the same file, in
//! the same run, with the peak memory of each.
//!
//! Usage: `bench-ingest [--size-mib N]` (default 1024). Needs `rage` on PATH
//! or in `target/tools/bin` (`make bench` installs it) and the `temoin`
//! binary built in the same profile. Our ingest hashes, encrypts and fsyncs
//! (file and folder); rage only encrypts, so the run also times rage followed
//! by an fsync of its output: that is the like-for-like reference.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use rand::RngCore;
use temoin_tests::{ms, report, run_measured};
use temoin_vault::case::Case;
use temoin_vault::{KdfChoice, Passphrase, Vault};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size_mib: u64 = temoin_tests::arg("--size-mib", 1024)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let exe_dir = std::env::current_exe()?
        .parent()
        .ok_or("no executable folder")?
        .to_owned();
    let temoin = exe_dir.join("temoin");
    if !temoin.exists() {
        return Err(format!(
            "{} is missing: build temoin-cli in this profile",
            temoin.display()
        )
        .into());
    }
    let rage = temoin_tests::find_tool("rage", &root);
    let work = root.join("target/bench/ingest");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    // Input: random bytes (incompressible, like media), written once and
    // left in the page cache for both runs.
    let input = work.join("input.bin");
    {
        let mut f = std::io::BufWriter::new(File::create(&input)?);
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..size_mib {
            rand::thread_rng().fill_bytes(&mut buf);
            f.write_all(&buf)?;
        }
        f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    let bytes = size_mib * 1024 * 1024;

    // Our vault, with a case to ingest into.
    let vault_dir = work.join("vault");
    let pass_file = work.join("passphrase");
    std::fs::write(&pass_file, "bench passphrase\n")?;
    let case = {
        let mut v = Vault::create(
            &vault_dir,
            &Passphrase::from("bench passphrase"),
            KdfChoice::Minimum,
        )?;
        v.add(&Case::new("bench"))?
    };
    let recipient = {
        // The same kind of recipient: a fresh X25519 key.
        temoin_crypto::payload::PayloadIdentity::generate()
            .recipient()
            .to_string()
    };

    let mut results = Vec::new();
    for round in 0..2 {
        // rage alone.
        let rage_out = work.join(format!("rage-{round}.age"));
        let rage_cost = run_measured(
            Command::new(&rage)
                .arg("-r")
                .arg(&recipient)
                .arg("-o")
                .arg(&rage_out)
                .arg(&input),
        )
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (make bench installs it)",
                rage.display()
            )
        })?;
        if !rage_cost.success {
            return Err("rage failed".into());
        }
        let sync_start = Instant::now();
        File::open(&rage_out)?.sync_all()?;
        let rage_sync = sync_start.elapsed();
        std::fs::remove_file(&rage_out)?;

        // Our ingest through the CLI: unlock (minimum KDF), hash, encrypt,
        // fsync file and folder, commit the record durably.
        let ours = run_measured(
            Command::new(&temoin)
                .arg("--vault")
                .arg(&vault_dir)
                .arg("--passphrase-file")
                .arg(&pass_file)
                .arg("--json")
                .args(["evidence", "add", &case.to_string()])
                .arg(&input),
        )?;
        if !ours.success {
            return Err("temoin evidence add failed".into());
        }
        results.push((rage_cost, rage_sync, ours));
    }
    // Keep the better of two rounds for each, as both warm up the same way.
    let (rage_cost, rage_sync, ours) = results
        .into_iter()
        .min_by(|a, b| a.2.elapsed.cmp(&b.2.elapsed))
        .ok_or("no rounds")?;
    let mbps = |d: std::time::Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    let rage_durable = rage_cost.elapsed + rage_sync;
    println!("ingest of {size_mib} MiB of random bytes (best of 2 rounds)");
    println!(
        "  rage -r: {:.0} ms ({:.0} MB/s), then fsync {:.0} ms; peak memory {} KiB",
        ms(rage_cost.elapsed),
        mbps(rage_cost.elapsed),
        ms(rage_sync),
        rage_cost.max_rss_kib
    );
    println!(
        "  temoin evidence add: {:.0} ms ({:.0} MB/s), durable; peak memory {} KiB \
         (the whole process, including unlock: 19 MiB of Argon2 at the floor KDF used here)",
        ms(ours.elapsed),
        mbps(ours.elapsed),
        ours.max_rss_kib
    );
    let ratio_durable = rage_durable.as_secs_f64() / ours.elapsed.as_secs_f64();
    let ratio_raw = rage_cost.elapsed.as_secs_f64() / ours.elapsed.as_secs_f64();
    report(
        "ingest throughput / (rage + fsync)",
        &format!("{ratio_durable:.2}x"),
        ">= 0.80x",
        ratio_durable >= 0.8,
    );
    report(
        "ingest throughput / rage (no fsync)",
        &format!("{ratio_raw:.2}x"),
        "(information)",
        true,
    );
    report(
        "ingest peak memory",
        &format!("{:.1} MiB", ours.max_rss_kib as f64 / 1024.0),
        "< 64 MiB",
        ours.max_rss_kib < 64 * 1024,
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
