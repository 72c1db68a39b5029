//! Sealed bundles: what goes in (consent), what a reader checks, and how
//! forged, tampered and hostile bundles are reported. Interop with `age`,
//! `tar`, `minisign` and `sha256sum` is in `cli/tests/bundle.rs`.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};
use temoin_bundle::{
    read_bundle, Manifest, Purpose, ReadOptions, Report, MANIFEST, SIGNATURE, SUMS,
};
use temoin_crypto::payload::{encrypt_to, PayloadIdentity};
use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_media::redact::Region;
use temoin_vault::case::{
    Case, Consent, ConsentMethod, ConsentScope, Person, Testimony, Withdrawal,
};
use temoin_vault::custody::Action;
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, KdfChoice, PartialDate, Passphrase, Vault};

fn consent(case: ItemId, by: Option<ItemId>, scopes: &[ConsentScope]) -> Consent {
    Consent {
        case_id: case,
        given_by: by,
        given_by_name: by.is_none().then(|| "the family".to_owned()),
        given_on: PartialDate("2024-03-05".into()),
        method: ConsentMethod::Oral,
        interpreter: None,
        recorded_by: None,
        scopes: scopes.to_vec(),
        guardian: None,
        child_assent: None,
        note: None,
        withdrawal: None,
    }
}

/// A PNG written by the `image` crate, with a known pattern.
fn png() -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

struct World {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    vault: Vault,
    case: ItemId,
    photo: ItemId,
    copy: ItemId,
    witness: ItemId,
    refusing: ItemId,
    refused_testimony: ItemId,
}

/// A case with a consenting witness and her testimony, a person whose own
/// consent withdrew sharing and her testimony, a photo and a working copy.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let mut v = Vault::create(&root.join("v"), &Passphrase::from("p"), KdfChoice::Minimum).unwrap();
    let case = v.add(&Case::new("Arrest at the market")).unwrap();
    let witness = v.add(&Person::new("Witness A")).unwrap();
    let refusing = v.add(&Person::new("Witness B")).unwrap();
    v.add(&consent(
        case,
        Some(witness),
        &[ConsentScope::ShareWithOmct, ConsentScope::Litigation],
    ))
    .unwrap();
    let mut withdrawn = consent(case, Some(refusing), &[ConsentScope::ShareWithOmct]);
    withdrawn.given_by_name = Some("Witness B".into());
    withdrawn.note = Some("only if her brother is released".into());
    withdrawn.withdrawal = Some(Withdrawal {
        on: PartialDate("2024-04-01".into()),
        scopes: vec![],
        note: None,
    });
    v.add(&withdrawn).unwrap();
    let mut t = Testimony::new(case, "She was taken at dawn.");
    t.witness = Some(witness);
    v.add(&t).unwrap();
    let mut t2 = Testimony::new(case, "Second account.");
    t2.witness = Some(refusing);
    let refused_testimony = v.add(&t2).unwrap();
    std::fs::write(root.join("photo.png"), png()).unwrap();
    let photo = v
        .ingest_file(case, &root.join("photo.png"), &mut |_| {})
        .unwrap()
        .id;
    let copy = v
        .redact(
            photo,
            false,
            &[Region {
                x: 1,
                y: 1,
                w: 5,
                h: 5,
            }],
        )
        .unwrap()
        .id;
    World {
        _dir: dir,
        root,
        vault: v,
        case,
        photo,
        copy,
        witness,
        refusing,
        refused_testimony,
    }
}

fn export(w: &mut World, purpose: Purpose, to: &PayloadIdentity) -> Vec<u8> {
    let mut out = Vec::new();
    w.vault
        .export_bundle(
            w.case,
            &ExportOptions {
                purpose,
                recipients: vec![to.recipient()],
                supersedes: None,
                part: None,
            },
            &mut out,
        )
        .unwrap();
    out
}

fn read(bytes: &[u8], id: &PayloadIdentity, w: &World, out: Option<&Path>) -> Report {
    read_bundle(
        bytes,
        std::slice::from_ref(id),
        &ReadOptions {
            trusted_devices: &[w.vault.device_public_key()],
            out_dir: out,
        },
    )
    .unwrap()
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.problems.iter().map(|p| p.code.as_str()).collect()
}

#[test]
fn a_bundle_round_trips_with_what_consent_allows() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    let bytes = export(&mut w, Purpose::ShareWithOmct, &omct);
    let out = w.root.join("opened");
    let r = read(&bytes, &omct, &w, Some(&out));
    assert!(r.genuine(), "{:?}", r.problems);
    let m = r.manifest.as_ref().unwrap();
    assert_eq!(m.sequence, 1);
    assert_eq!(m.case_id, w.case);
    assert_eq!(m.recipients, vec![omct.recipient().fingerprint()]);
    let ids: Vec<ItemId> = m.items.iter().map(|i| i.id).collect();
    for id in [w.case, w.photo, w.copy, w.witness] {
        assert!(ids.contains(&id), "{id} missing");
    }
    // The person whose consent was withdrawn, and her testimony, are out,
    // and said to be.
    for id in [w.refusing, w.refused_testimony] {
        assert!(!ids.contains(&id));
        assert!(m
            .withheld
            .iter()
            .any(|x| x.id == id && x.reason.contains("share_with_omct")));
    }
    // Her consent is there (the grounds for leaving her out), without her
    // name or its notes.
    let c = m
        .items
        .iter()
        .find(|i| i.kind == "consent" && i.record["given_by"] == w.refusing.to_string())
        .unwrap();
    assert!(c.redacted);
    assert!(c.record["given_by_name"].is_null() && c.record["note"].is_null());
    assert_eq!(c.record["scopes"], serde_json::json!(["share_with_omct"]));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(!manifest.contains("Witness B") && !manifest.contains("brother"));
    // The files unpacked are the originals, byte for byte.
    let photo = m.files.iter().find(|f| f.item == Some(w.photo)).unwrap();
    assert_eq!(
        std::fs::read(out.join(&photo.path)).unwrap(),
        std::fs::read(w.root.join("photo.png")).unwrap()
    );
    assert_eq!(r.files_verified, m.files.len());
    assert!(r.custody_verified >= 6);
    // The export is in the custody log, with the manifest's hash.
    let last = w.vault.custody().unwrap().pop().unwrap();
    assert_eq!(last.body.action, Action::ExportBundle);
    assert_eq!(last.body.sha256, r.manifest_sha256);
    assert_eq!(last.body.bundle.as_ref().unwrap().sequence, 1);
    // The next bundle gets the next number.
    let again = export(&mut w, Purpose::Litigation, &omct);
    let r2 = read(&again, &omct, &w, None);
    assert!(r2.genuine(), "{:?}", r2.problems);
    assert_eq!(r2.manifest.unwrap().sequence, 2);
    assert!(w.vault.verify().unwrap().is_ok());
}

#[test]
fn no_consent_means_no_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(
        &dir.path().join("v"),
        &Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let case = v.add(&Case::new("c")).unwrap();
    let options = ExportOptions {
        purpose: Purpose::ShareWithOmct,
        recipients: vec![PayloadIdentity::generate().recipient()],
        supersedes: None,
        part: None,
    };
    let err = v.export_bundle(case, &options, Vec::new()).unwrap_err();
    assert!(
        matches!(err, temoin_vault::ExportError::NoConsent { .. }),
        "{err}"
    );
    // Consent for publication only does not cover OMCT either.
    v.add(&consent(case, None, &[ConsentScope::Publication]))
        .unwrap();
    assert!(v.export_bundle(case, &options, Vec::new()).is_err());
    // And a file export leaves no file behind.
    let path = dir.path().join("b.tar.age");
    assert!(v.export_bundle_to_file(case, &options, &path).is_err());
    assert!(!path.exists());
    assert!(!dir.path().join("b.tar.age.part").exists());
}

#[test]
fn a_damaged_payload_stops_the_export_and_leaves_no_file() {
    let mut w = world();
    let blob = w.root.join("v/blobs").join(format!("{}.age", w.photo));
    let mut bytes = std::fs::read(&blob).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let path = w.root.join("b.tar.age");
    let err = w
        .vault
        .export_bundle_to_file(
            w.case,
            &ExportOptions {
                purpose: Purpose::Litigation,
                recipients: vec![PayloadIdentity::generate().recipient()],
                supersedes: None,
                part: None,
            },
            &path,
        )
        .unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(!path.exists());
}

#[test]
fn tampering_anywhere_in_the_ciphertext_is_reported() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    let bytes = export(&mut w, Purpose::ShareWithOmct, &omct);
    // Past the age header, at several places, and cut short.
    for at in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 30] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        let r = read(&bad, &omct, &w, None);
        assert!(!r.intact(), "flip at {at}");
        assert!(codes(&r).contains(&"damaged"), "{:?}", r.problems);
    }
    for cut in [1, 17, 100, bytes.len() / 2] {
        let r = read(&bytes[..bytes.len() - cut], &omct, &w, None);
        assert!(!r.intact(), "cut {cut}");
        assert!(
            codes(&r).contains(&"damaged"),
            "cut {cut}: {:?}",
            r.problems
        );
    }
    // Someone else's key cannot open it at all.
    assert!(read_bundle(
        &bytes[..],
        &[PayloadIdentity::generate()],
        &ReadOptions::default()
    )
    .is_err());
}

/// Builds a bundle by hand: for forgeries a vault would never make.
fn forge(members: &[(&str, &[u8])], to: &PayloadIdentity) -> Vec<u8> {
    let sealed = encrypt_to(&[to.recipient()], Vec::new()).unwrap();
    let mut tar = tar::Builder::new(sealed);
    for (path, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Written raw, so that paths the tar crate would refuse get in.
        let name = h.as_gnu_mut().unwrap();
        name.name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        tar.append(&h, *data).unwrap();
    }
    let mut sealed = tar.into_inner().unwrap();
    sealed.flush().unwrap();
    sealed.finish().unwrap()
}

/// The members of a real bundle, to alter one at a time.
fn members(bytes: &[u8], id: &PayloadIdentity) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut plain = Vec::new();
    PayloadIdentity::decrypt_any(std::slice::from_ref(id), bytes)
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(&plain[..]);
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push((path, data));
    }
    out
}

fn reseal(members: &[(String, Vec<u8>)], to: &PayloadIdentity) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    forge(&refs, to)
}

#[test]
fn forged_bundles_are_flagged_never_genuine() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    let good = members(&export(&mut w, Purpose::ShareWithOmct, &omct), &omct);
    assert_eq!(good[0].0, MANIFEST);
    assert_eq!(good[1].0, SIGNATURE);

    // Resealed unchanged: still genuine (the format does not depend on the
    // exact tar bytes).
    let r = read(&reseal(&good, &omct), &omct, &w, None);
    assert!(r.genuine(), "{:?}", r.problems);

    // Valid age to OMCT's key but unsigned.
    let mut unsigned = good.clone();
    unsigned.remove(1);
    let r = read(&reseal(&unsigned, &omct), &omct, &w, None);
    assert!(!r.intact());
    assert!(codes(&r).contains(&"malformed") || codes(&r).contains(&"not_signed"));

    // Signed by a key nobody enrolled: the manifest rewritten to name it.
    let intruder = DeviceKey::generate();
    let mut m: Manifest = serde_json::from_slice(&good[0].1).unwrap();
    m.device.key_id = intruder.public().id_hex();
    m.device.public_key = intruder.public().to_minisign_base64();
    let forged_manifest = serde_json::to_vec_pretty(&m).unwrap();
    let mut forged = good.clone();
    forged[0].1 = forged_manifest.clone();
    forged[1].1 = intruder
        .sign(SigningPurpose::BundleManifest, &forged_manifest)
        .into_bytes();
    let forged_out = w.root.join("forged");
    let r = read(&reseal(&forged, &omct), &omct, &w, Some(&forged_out));
    assert!(!r.genuine());
    assert!(codes(&r).contains(&"unknown_device"), "{:?}", r.problems);
    // Nothing of a bundle from an untrusted signer is unpacked.
    let written: Vec<_> = std::fs::read_dir(&forged_out).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");

    // The manifest altered after signing.
    let mut altered = good.clone();
    let text = String::from_utf8(altered[0].1.clone()).unwrap();
    altered[0].1 = text
        .replace("Arrest at the market", "Arrest at the harbour")
        .into_bytes();
    let r = read(&reseal(&altered, &omct), &omct, &w, None);
    assert!(codes(&r).contains(&"bad_signature"), "{:?}", r.problems);

    // An evidence file swapped.
    let mut swapped = good.clone();
    let i = swapped
        .iter()
        .position(|(p, _)| p.starts_with("evidence/"))
        .unwrap();
    swapped[i].1[10] ^= 1;
    let out = w.root.join("swapped");
    let r = read(&reseal(&swapped, &omct), &omct, &w, Some(&out));
    assert!(codes(&r).contains(&"hash_mismatch"), "{:?}", r.problems);
    assert!(
        !out.join(&swapped[i].0).exists(),
        "an altered file was kept"
    );

    // Re-encrypted by someone else to another key.
    let other = PayloadIdentity::generate();
    let r = read(&reseal(&good, &other), &other, &w, None);
    assert!(
        codes(&r).contains(&"recipient_not_bound"),
        "{:?}",
        r.problems
    );

    // A file dropped.
    let mut dropped = good.clone();
    dropped.retain(|(p, _)| !p.starts_with("evidence/"));
    let r = read(&reseal(&dropped, &omct), &omct, &w, None);
    assert!(codes(&r).contains(&"missing_file"), "{:?}", r.problems);

    // SHA256SUMS that disagrees with the files.
    let mut sums = good.clone();
    let i = sums.iter().position(|(p, _)| p == SUMS).unwrap();
    let text = String::from_utf8(sums[i].1.clone()).unwrap();
    let h = hex::encode(Sha256::digest(b"other"));
    sums[i].1 = format!(
        "{h}  {MANIFEST}\n{}",
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    )
    .into_bytes();
    let r = read(&reseal(&sums, &omct), &omct, &w, None);
    assert!(codes(&r).contains(&"hash_mismatch"), "{:?}", r.problems);
}

#[test]
fn paths_that_escape_are_refused_and_nothing_lands_outside() {
    let mut w = world();
    let omct = PayloadIdentity::generate();
    let mut good = members(&export(&mut w, Purpose::ShareWithOmct, &omct), &omct);
    for evil in [
        "../escaped",
        "/tmp/escaped-abs",
        "evidence/../../escaped",
        "evidence/.hidden",
        "evidence/a/b",
    ] {
        good.push((evil.to_owned(), b"payload".to_vec()));
    }
    let out = w.root.join("unpacked");
    let r = read(&reseal(&good, &omct), &omct, &w, Some(&out));
    assert_eq!(
        codes(&r).iter().filter(|c| **c == "unsafe_path").count(),
        5,
        "{:?}",
        r.problems
    );
    assert!(!w.root.join("escaped").exists());
    assert!(!Path::new("/tmp/escaped-abs").exists());
    assert!(!out.join("evidence/.hidden").exists());
    // The genuine files were still checked and unpacked.
    assert!(r.files_verified >= 3);
}

#[test]
fn garbage_is_not_a_bundle() {
    let id = PayloadIdentity::generate();
    for bytes in [
        &b""[..],
        b"not age at all",
        b"age-encryption.org/v1\n-> X25519 garbage\n",
    ] {
        assert!(read_bundle(bytes, std::slice::from_ref(&id), &ReadOptions::default()).is_err());
    }
    // Valid age around something that is not a tar archive.
    let mut w = encrypt_to(&[id.recipient()], Vec::new()).unwrap();
    w.write_all(&[0x41; 5000]).unwrap();
    let ct = w.finish().unwrap();
    let r = read_bundle(&ct[..], std::slice::from_ref(&id), &ReadOptions::default()).unwrap();
    assert!(!r.intact());
}
