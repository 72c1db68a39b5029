//! Writes the bundle test vectors in `docs/test-vectors/bundle/`: one good
//! bundle and deliberately broken ones, the key they are sealed for, the
//! device key that signed them, and `expected.json` saying what a reader
//! must find in each (docs/FORMAT.md, "Test vectors"). The files are
//! committed; `vault/tests/bundle_vectors.rs` checks the reader against
//! them, so a change to the format that breaks old bundles fails a test.
//!
//! Run from the repository root: `cargo run -p temoin-tests --bin
//! make-bundle-vectors`. It makes new random keys and ids each time.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::json;
use temoin_bundle::{Manifest, Purpose};
use temoin_crypto::payload::{encrypt_to, PayloadIdentity};
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_vault::case::{Case, Consent, ConsentScope, Testimony};
use temoin_vault::export::ExportOptions;
use temoin_vault::{KdfChoice, PartialDate, Passphrase, Vault};

type Members = Vec<(String, Vec<u8>)>;

fn members(bytes: &[u8], id: &PayloadIdentity) -> Result<Members, Box<dyn std::error::Error>> {
    let mut plain = Vec::new();
    PayloadIdentity::decrypt_any(std::slice::from_ref(id), bytes)?.read_to_end(&mut plain)?;
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(&plain[..]);
    for e in archive.entries()? {
        let mut e = e?;
        let path = e.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data)?;
        out.push((path, data));
    }
    Ok(out)
}

/// Seals members as a tar archive to `to`, writing names raw (so that the
/// unsafe paths a real bundle never has can be put in).
fn seal(members: &Members, to: &PayloadIdentity) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let sealed = encrypt_to(&[to.recipient()], Vec::new())?;
    let mut tar = tar::Builder::new(sealed);
    for (path, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        let raw = h.as_old_mut();
        raw.name = [0; 100];
        raw.name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        tar.append(&h, &data[..])?;
    }
    let mut sealed = tar.into_inner()?;
    sealed.flush()?;
    Ok(sealed.finish()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("docs/test-vectors/bundle");
    std::fs::create_dir_all(&out)?;
    let work = tempfile_dir(&root)?;

    // A small case: consent, a testimony, a tiny text file as evidence.
    let mut v = Vault::create(
        &work.join("v"),
        &Passphrase::from("vectors"),
        KdfChoice::Minimum,
    )?;
    let case = v.add(&Case::new("Test vector case"))?;
    v.add(&Consent::new(
        case,
        "the witness",
        PartialDate("2024-03-05".into()),
        vec![ConsentScope::ShareWithOmct, ConsentScope::Litigation],
    ))?;
    v.add(&Testimony::new(case, "A narrative for the test vectors."))?;
    std::fs::write(
        work.join("note.txt"),
        b"An evidence file for the test vectors.\n",
    )?;
    v.ingest_file(case, &work.join("note.txt"), &mut |_| {})?;

    let omct = PayloadIdentity::generate();
    let mut good = Vec::new();
    v.export_bundle(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![omct.recipient()],
            supersedes: None,
        },
        &mut good,
    )?;
    std::fs::write(out.join("omct.key"), omct.key_file_for_export().as_bytes())?;
    std::fs::write(
        out.join("device.pub"),
        v.device_public_key().to_minisign_file(),
    )?;
    let base = members(&good, &omct)?;
    let mut expected = serde_json::Map::new();
    let mut write = |name: &str, bytes: &[u8], genuine: bool, codes: &[&str], what: &str| {
        std::fs::write(out.join(name), bytes)?;
        expected.insert(
            name.to_owned(),
            json!({ "genuine": genuine, "problems": codes, "what": what }),
        );
        Ok::<(), std::io::Error>(())
    };

    write(
        "good.tar.age",
        &good,
        true,
        &[],
        "a bundle as a device seals it",
    )?;
    let mut flipped = good.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x01;
    write(
        "tampered.tar.age",
        &flipped,
        false,
        &["damaged"],
        "one bit of the ciphertext flipped",
    )?;
    write(
        "truncated.tar.age",
        &good[..good.len() - 40],
        false,
        &["damaged"],
        "the last 40 bytes cut off",
    )?;

    let mut unsigned = base.clone();
    unsigned.remove(1);
    write(
        "unsigned.tar.age",
        &seal(&unsigned, &omct)?,
        false,
        &["malformed", "not_signed"],
        "valid age to OMCT's key, but the manifest's signature is missing",
    )?;

    let intruder = DeviceKey::generate();
    let mut m: Manifest = serde_json::from_slice(&base[0].1)?;
    m.device.key_id = intruder.public().id_hex();
    m.device.public_key = intruder.public().to_minisign_base64();
    let forged_manifest = serde_json::to_vec_pretty(&m)?;
    let mut forged = base.clone();
    forged[1].1 = intruder
        .sign(SigningPurpose::BundleManifest, &forged_manifest)
        .into_bytes();
    forged[0].1 = forged_manifest;
    write(
        "unknown-device.tar.age",
        &seal(&forged, &omct)?,
        false,
        &["unknown_device"],
        "signed correctly, but by a device key that is not device.pub",
    )?;

    let mut altered = base.clone();
    altered[0].1 = String::from_utf8(altered[0].1.clone())?
        .replace("Test vector case", "Test vector cake")
        .into_bytes();
    write(
        "altered-manifest.tar.age",
        &seal(&altered, &omct)?,
        false,
        &["bad_signature"],
        "the manifest changed after it was signed",
    )?;

    let mut swapped = base.clone();
    let i = swapped
        .iter()
        .position(|(p, _)| p.starts_with("evidence/"))
        .ok_or("no evidence")?;
    swapped[i].1[0] ^= 0x20;
    write(
        "altered-file.tar.age",
        &seal(&swapped, &omct)?,
        false,
        &["hash_mismatch"],
        "an evidence file changed",
    )?;

    let mut traversal = base.clone();
    traversal.push(("../outside.txt".into(), b"escape".to_vec()));
    traversal.push(("/tmp/absolute.txt".into(), b"escape".to_vec()));
    write(
        "path-traversal.tar.age",
        &seal(&traversal, &omct)?,
        false,
        &["unsafe_path"],
        "extra members named ../outside.txt and /tmp/absolute.txt",
    )?;

    // Sealed by the device for another recipient, then re-encrypted to OMCT.
    let other = PayloadIdentity::generate();
    let mut for_other = Vec::new();
    v.export_bundle(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![other.recipient()],
            supersedes: None,
        },
        &mut for_other,
    )?;
    let rewrapped = seal(&members(&for_other, &other)?, &omct)?;
    write(
        "rewrapped.tar.age",
        &rewrapped,
        false,
        &["recipient_not_bound"],
        "sealed for another key, decrypted and re-encrypted to OMCT's",
    )?;

    std::fs::write(
        out.join("expected.json"),
        serde_json::to_vec_pretty(&serde_json::Value::Object(expected))?,
    )?;
    std::fs::remove_dir_all(&work)?;
    println!("wrote the bundle test vectors to {}", out.display());
    Ok(())
}

fn tempfile_dir(root: &Path) -> std::io::Result<std::path::PathBuf> {
    let dir = root.join("target/bundle-vectors-work");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
