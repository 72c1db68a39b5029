//! Writes the bundle test vectors in `docs/test-vectors/bundle-v3/`: one good
//! bundle and deliberately broken ones, the key they are sealed for, the
//! device key that signed them, and `expected.json` saying what a reader
//! must find in each (docs/FORMAT.md, "Test vectors"). The files are
//! committed; `vault/tests/bundle_vectors.rs` checks the reader against
//! them, so a change to the format that breaks old bundles fails a test.
//!
//! Run from the repository root: `cargo run -p temoin-tests --bin
//! make-bundle-vectors`. It makes new random keys and ids each time. The
//! vectors made by the writer of version 2 stay in
//! `docs/test-vectors/bundle/`, unchanged, so that the reader keeps being
//! checked against bundles made before.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::json;
use temoin_bundle::{Manifest, Part, Purpose, FORMAT_V2, FORMAT_V3};
use temoin_crypto::payload::{encrypt_to, PayloadIdentity};
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_vault::case::{
    Case, Consent, ConsentScope, Participant, Person, Role, Testimony, Violation, ViolationType,
};
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
    let out = root.join("docs/test-vectors/bundle-v3");
    std::fs::create_dir_all(&out)?;
    let work = tempfile_dir(&root)?;

    // A small case: consent, a testimony, a tiny text file and a tiny
    // picture as evidence, and a working copy of the picture (what a
    // publication carries).
    let mut v = Vault::create(
        &work.join("v"),
        &Passphrase::from("vectors"),
        KdfChoice::Minimum,
    )?;
    let victim = v.add(&Person::new("Test vector person"))?;
    let mut c = Case::new("Test vector case");
    c.country = Some("TN".into());
    c.incident_start = Some(PartialDate("2024-02-10".into()));
    c.participants.push(Participant {
        person: victim,
        role: Role::Victim,
        note: None,
    });
    let case = v.add(&c)?;
    v.add(&Consent::new(
        case,
        "the witness",
        PartialDate("2024-03-05".into()),
        vec![
            ConsentScope::ShareWithOmct,
            ConsentScope::Litigation,
            ConsentScope::Publication,
            ConsentScope::AnonymisedStatistics,
        ],
    ))?;
    v.add(&Violation {
        case_id: case,
        kind: ViolationType::ALL[0],
        methods: vec![],
        victims: vec![victim],
        perpetrators: vec![],
        place: None,
        start: None,
        end: None,
        description: None,
    })?;
    v.add(&Testimony::new(case, "A narrative for the test vectors."))?;
    std::fs::write(
        work.join("note.txt"),
        b"An evidence file for the test vectors.\n",
    )?;
    v.ingest_file(case, &work.join("note.txt"), &mut |_| {})?;
    std::fs::write(work.join("picture.png"), PICTURE)?;
    let picture = v.ingest_file(case, &work.join("picture.png"), &mut |_| {})?;
    v.redact(picture.id, true, &[])?;

    let omct = PayloadIdentity::generate();
    let mut good = Vec::new();
    v.export_bundle(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![omct.recipient()],
            supersedes: None,
            part: None,
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
        "a bundle for OMCT as a device seals it (temoin-bundle/1: originals)",
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

    // For publication: working copies only, in version 2 of the format.
    let mut publication = Vec::new();
    v.export_bundle(
        case,
        &ExportOptions {
            purpose: Purpose::Publication,
            recipients: vec![omct.recipient()],
            supersedes: None,
            part: None,
        },
        &mut publication,
    )?;
    write(
        "publication.tar.age",
        &publication,
        true,
        &[],
        "a bundle for publication as a device seals it (temoin-bundle/2: the working copy only)",
    )?;

    let mut unknown = base.clone();
    unknown[0].1 = String::from_utf8(unknown[0].1.clone())?
        .replace(
            "\"purpose\": \"share_with_omct\"",
            "\"purpose\": \"press_release\"",
        )
        .into_bytes();
    write(
        "unknown-purpose.tar.age",
        &seal(&unknown, &omct)?,
        false,
        &["unknown_purpose"],
        "the manifest names a purpose no version of the format has",
    )?;

    // The OMCT bundle's manifest relabelled as a publication (and signed
    // again, by another key): its originals must not pass.
    let mut m: Manifest = serde_json::from_slice(&base[0].1)?;
    m.purpose = Purpose::Publication;
    m.format = FORMAT_V2.to_owned();
    m.device.key_id = intruder.public().id_hex();
    m.device.public_key = intruder.public().to_minisign_base64();
    let relabelled = serde_json::to_vec_pretty(&m)?;
    let mut mislabelled = base.clone();
    mislabelled[1].1 = intruder
        .sign(SigningPurpose::BundleManifest, &relabelled)
        .into_bytes();
    mislabelled[0].1 = relabelled;
    write(
        "publication-with-originals.tar.age",
        &seal(&mislabelled, &omct)?,
        false,
        &["outside_purpose"],
        "a bundle carrying originals, labelled a publication",
    )?;

    // An urgent case's records, sent ahead of its files (version 3).
    let mut text = Vec::new();
    v.export_bundle(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![omct.recipient()],
            supersedes: None,
            part: Some(Part::Text),
        },
        &mut text,
    )?;
    write(
        "text-part.tar.age",
        &text,
        true,
        &[],
        "an urgent case's records without its evidence files, sent ahead of them (temoin-bundle/3, part text)",
    )?;

    // The OMCT bundle's manifest relabelled, signed again by another key.
    let relabel = |change: &dyn Fn(&mut Manifest)| -> Result<Members, Box<dyn std::error::Error>> {
        let mut m: Manifest = serde_json::from_slice(&base[0].1)?;
        change(&mut m);
        m.device.key_id = intruder.public().id_hex();
        m.device.public_key = intruder.public().to_minisign_base64();
        let bytes = serde_json::to_vec_pretty(&m)?;
        let mut out = base.clone();
        out[1].1 = intruder
            .sign(SigningPurpose::BundleManifest, &bytes)
            .into_bytes();
        out[0].1 = bytes;
        Ok(out)
    };
    write(
        "text-part-with-files.tar.age",
        &seal(
            &relabel(&|m| {
                m.part = Some(Part::Text);
                m.format = FORMAT_V3.to_owned();
            })?,
            &omct,
        )?,
        false,
        &["outside_purpose"],
        "a bundle carrying evidence files, labelled the text of a case",
    )?;
    write(
        "part-in-version-1.tar.age",
        &seal(&relabel(&|m| m.part = Some(Part::Text))?, &omct)?,
        false,
        &["malformed"],
        "a temoin-bundle/1 manifest with the field part, which only version 3 has",
    )?;

    // Figures alone (version 3).
    let mut figures = Vec::new();
    v.export_figures(
        &temoin_vault::export::FiguresOptions {
            recipients: vec![omct.recipient()],
        },
        &mut figures,
    )?;
    write(
        "figures.tar.age",
        &figures,
        true,
        &[],
        "figures for OMCT's statistics as a device seals them (temoin-bundle/3, anonymised_statistics): no record, no file",
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
            part: None,
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

    // What the readable ones are, for a reader to check it sees the same.
    for (name, purpose, format, part) in [
        (
            "good.tar.age",
            Purpose::ShareWithOmct,
            Purpose::ShareWithOmct.format(),
            None,
        ),
        ("publication.tar.age", Purpose::Publication, FORMAT_V2, None),
        (
            "text-part.tar.age",
            Purpose::ShareWithOmct,
            FORMAT_V3,
            Some(Part::Text),
        ),
        (
            "figures.tar.age",
            Purpose::AnonymisedStatistics,
            FORMAT_V3,
            None,
        ),
    ] {
        if let Some(entry) = expected.get_mut(name).and_then(|e| e.as_object_mut()) {
            entry.insert("purpose".into(), json!(purpose.code()));
            entry.insert("format".into(), json!(format));
            if let Some(part) = part {
                entry.insert("part".into(), json!(part.code()));
            }
        }
    }
    std::fs::write(
        out.join("expected.json"),
        serde_json::to_vec_pretty(&serde_json::Value::Object(expected))?,
    )?;
    std::fs::remove_dir_all(&work)?;
    println!("wrote the bundle test vectors to {}", out.display());
    Ok(())
}

/// A 4 by 3 pixel PNG, written by hand so that the vectors need no image
/// encoder.
const PICTURE: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x08, 0x02, 0x00, 0x00, 0x00, 0x3b, 0x96, 0x39,
    0x91, 0x00, 0x00, 0x00, 0x2a, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x0d, 0xc7, 0x31, 0x01, 0x00,
    0x30, 0x0c, 0xc3, 0x30, 0x7f, 0x26, 0x55, 0x10, 0x81, 0x53, 0x38, 0x01, 0x51, 0x80, 0x9b, 0x3e,
    0x01, 0x0e, 0x2e, 0x1e, 0x42, 0x9c, 0xb8, 0xf1, 0xf2, 0x53, 0xa7, 0x6e, 0xbd, 0xfa, 0x00, 0x7a,
    0xc9, 0x08, 0x4d, 0x7b, 0xf3, 0x38, 0x7e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

fn tempfile_dir(root: &Path) -> std::io::Result<std::path::PathBuf> {
    let dir = root.join("target/bundle-vectors-work");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
