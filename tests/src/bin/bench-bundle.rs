//! How reading and checking a sealed bundle grows with its number of files.
//!
//! Builds, with `temoin-bundle`'s own writer, two genuine bundles (signed
//! manifest, custody entries recording every file's intake, `SHA256SUMS`)
//! of small evidence files: one of `--small` files (3,000 by default) and
//! one of `--large` (30,000). Each is read and fully checked
//! (`read_bundle`, as the desk does) three times; the best time of each is
//! printed with their ratio. A reader linear in the number of files gives a
//! ratio near the ratio of the sizes (10); a quadratic one, near its square.
//!
//! `cargo run --release -p temoin-tests --bin bench-bundle` (part of
//! `make bench`).

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use temoin_bundle::{
    read_bundle, BundleWriter, DeviceInfo, Draft, Manifest, PayloadIdentity, Purpose, ReadOptions,
    FORMAT_V1,
};
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_model::case::Evidence;
use temoin_model::custody::{Action, CustodyEntry, Event};
use temoin_model::{ItemId, Kind};

type Error = Box<dyn std::error::Error>;

/// A bundle of `n` small files, sealed to `omct`, signed by `device`.
fn bundle(n: usize, omct: &PayloadIdentity, device: &DeviceKey) -> Result<Vec<u8>, Error> {
    let case = ItemId::random();
    let mut payloads = Vec::with_capacity(n);
    let mut evidence = Vec::with_capacity(n);
    let mut custody = Vec::with_capacity(n);
    let mut prev = [0u8; 32];
    for i in 0..n {
        let bytes = format!("evidence file {i} of {n}").into_bytes();
        let id = ItemId::random();
        let mut e = Evidence::new(case);
        e.media_type = "text/plain".into();
        e.size = bytes.len() as u64;
        e.sha256 = hex::encode(Sha256::digest(&bytes));
        let entry = CustodyEntry::new(
            device,
            i as u64 + 1,
            prev,
            Action::Create,
            Event {
                item: Some(id),
                kind: Some(Kind::Evidence),
                case: Some(case),
                revision: Some(1),
                sha256: Some(e.sha256.clone()),
                ..Event::default()
            },
        );
        prev = entry.hash();
        custody.push(entry);
        evidence.push((id, e));
        payloads.push(bytes);
    }
    let public = device.public();
    let draft = Draft::new(
        Manifest {
            format: FORMAT_V1.to_owned(),
            bundle_id: "00000000-0000-4000-8000-000000000000".to_owned(),
            created_at: "2026-01-01T00:00:00Z".to_owned(),
            purpose: Purpose::ShareWithOmct,
            device: DeviceInfo {
                key_id: public.id_hex(),
                public_key: public.to_minisign_base64(),
            },
            sequence: 1,
            recipients: vec![omct.recipient().fingerprint()],
            supersedes: None,
            case_id: case,
            items: Vec::new(),
            files: Vec::new(),
            withheld: Vec::new(),
            part: None,
            figures: None,
        },
        &custody,
        &evidence,
    );
    let manifest = draft.manifest_bytes();
    let signature = device.sign(SigningPurpose::BundleManifest, &manifest);
    let mut out = Vec::new();
    let mut writer =
        BundleWriter::start(&mut out, &[omct.recipient()], &draft, &manifest, &signature)?;
    for (entry, bytes) in draft.evidence().iter().zip(&payloads) {
        writer.append(entry, &mut &bytes[..])?;
    }
    writer.finish()?;
    Ok(out)
}

/// The best of three full reads, and the number of files verified.
fn read_time(
    sealed: &[u8],
    omct: &PayloadIdentity,
    device: &DeviceKey,
) -> Result<(Duration, usize), Error> {
    let trusted = [device.public()];
    let mut best = Duration::MAX;
    let mut verified = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let report = read_bundle(
            sealed,
            std::slice::from_ref(omct),
            &ReadOptions {
                trusted_devices: &trusted,
                out_dir: None,
            },
        )?;
        best = best.min(start.elapsed());
        if !report.genuine() {
            return Err(format!(
                "the benchmark's bundle does not verify: {:?}",
                report.problems.first()
            )
            .into());
        }
        verified = report.files_verified;
    }
    Ok((best, verified))
}

fn main() -> Result<(), Error> {
    let small: usize = temoin_tests::arg("--small", 3_000)?;
    let large: usize = temoin_tests::arg("--large", 30_000)?;
    let omct = PayloadIdentity::generate();
    let device = DeviceKey::generate();
    let mut times = Vec::new();
    for n in [small, large] {
        let sealed = bundle(n, &omct, &device)?;
        let (t, verified) = read_time(&sealed, &omct, &device)?;
        println!(
            "read and check a bundle of {n} files ({:.1} MiB): {:.1} ms (best of 3; {verified} files verified)",
            sealed.len() as f64 / (1024.0 * 1024.0),
            t.as_secs_f64() * 1000.0
        );
        times.push(t);
    }
    println!(
        "ratio: {:.1}x the time for {:.0}x the files (linear: about {:.0}; quadratic: about {:.0})",
        times[1].as_secs_f64() / times[0].as_secs_f64(),
        large as f64 / small as f64,
        large as f64 / small as f64,
        (large as f64 / small as f64).powi(2)
    );
    Ok(())
}
