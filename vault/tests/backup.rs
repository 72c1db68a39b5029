//! Backup and restore: a restored vault verifies and equals the original
//! item by item; a damaged or truncated backup restores nothing.

use std::path::Path;

use temoin_vault::backup;
use temoin_vault::case::{Case, Consent, ConsentScope, Evidence, Testimony};
use temoin_vault::{KdfChoice, Kind, OpenError, OriginalUse, PartialDate, Passphrase, Vault};

const PASS: &str = "correct horse battery staple";

fn populated(root: &Path) -> Vault {
    let dir = root.join("vault");
    let mut v = Vault::create(&dir, &Passphrase::from(PASS), KdfChoice::Minimum).expect("create");
    let case = v.add(&Case::new("Held at the checkpoint")).expect("case");
    let t = v
        .add(&Testimony::new(case, "First account."))
        .expect("testimony");
    // A revision.
    v.update(t, &Testimony::new(case, "First account, corrected."))
        .expect("update");
    v.add(&Consent::new(
        case,
        "The witness",
        PartialDate("2026-11-01".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .expect("consent");
    for (name, bytes) in [
        ("a.txt", b"an evidence file".to_vec()),
        ("b.bin", vec![7u8; 300_000]),
    ] {
        let p = root.join(name);
        std::fs::write(&p, &bytes).expect("write");
        v.ingest_file(case, &p, &mut |_| {}).expect("ingest");
    }
    v
}

/// Every item's every revision, as JSON, by kind.
fn items(v: &Vault) -> Vec<(Kind, String, Vec<serde_json::Value>)> {
    let mut out = Vec::new();
    for kind in [Kind::Case, Kind::Testimony, Kind::Consent, Kind::Evidence] {
        let mut ids = v.list(kind);
        ids.sort();
        for id in ids {
            let revs: Vec<serde_json::Value> = match kind {
                Kind::Case => v
                    .history::<Case>(id)
                    .expect("h")
                    .into_iter()
                    .map(|s| serde_json::to_value(s.record).expect("json"))
                    .collect(),
                Kind::Testimony => v
                    .history::<Testimony>(id)
                    .expect("h")
                    .into_iter()
                    .map(|s| serde_json::to_value(s.record).expect("json"))
                    .collect(),
                Kind::Consent => v
                    .history::<Consent>(id)
                    .expect("h")
                    .into_iter()
                    .map(|s| serde_json::to_value(s.record).expect("json"))
                    .collect(),
                _ => v
                    .history::<Evidence>(id)
                    .expect("h")
                    .into_iter()
                    .map(|s| serde_json::to_value(s.record).expect("json"))
                    .collect(),
            };
            out.push((kind, id.to_string(), revs));
        }
    }
    out
}

#[test]
fn a_restored_vault_verifies_and_equals_the_original_item_by_item() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut original = populated(root.path());
    let mut stream = Vec::new();
    let list = original.backup(&mut stream).expect("backup");
    assert!(list.files.iter().any(|f| f.path == "keyslots.json"));
    assert!(list
        .files
        .iter()
        .any(|f| f.path.starts_with("blobs/") && f.path.ends_with(".age")));
    assert!(list.files.iter().any(|f| f.path.starts_with("records/")));

    let restored_dir = root.path().join("restored");
    let got = backup::restore(&stream[..], &restored_dir).expect("restore");
    assert_eq!(got, list);
    assert_eq!(
        std::fs::read(restored_dir.join("keyslots.json")).expect("slots"),
        std::fs::read(original.dir().join("keyslots.json")).expect("slots"),
    );
    let mut restored = Vault::unlock(&restored_dir, &Passphrase::from(PASS)).expect("unlock");
    let report = restored.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.payloads, 2);

    assert_eq!(items(&restored), items(&original));
    let bodies = |v: &Vault| -> Vec<Vec<u8>> {
        v.custody()
            .expect("custody")
            .into_iter()
            .map(|e| e.body_bytes)
            .collect()
    };
    assert_eq!(bodies(&restored), bodies(&original));
    assert_eq!(
        restored.device_public_key().id_hex(),
        original.device_public_key().id_hex()
    );
    for id in original.list(Kind::Evidence) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        original
            .read_original(id, &mut a, OriginalUse::View)
            .expect("read");
        restored
            .read_original(id, &mut b, OriginalUse::View)
            .expect("read");
        assert_eq!(a, b);
    }
}

#[test]
fn a_damaged_or_truncated_backup_restores_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let original = populated(root.path());
    let mut stream = Vec::new();
    original.backup(&mut stream).expect("backup");

    // One byte changed inside a file's data: the list no longer matches.
    let mut flipped = stream.clone();
    let at = 512 + 10; // inside the first file's data, after its header
    flipped[at] ^= 0x01;
    let dir = root.path().join("r1");
    assert!(matches!(
        backup::restore(&flipped[..], &dir),
        Err(OpenError::Damaged { .. })
    ));
    assert!(!dir.exists(), "nothing is left behind");

    // Cut before the list.
    let dir = root.path().join("r2");
    assert!(matches!(
        backup::restore(&stream[..stream.len() / 2], &dir),
        Err(OpenError::Damaged { .. })
    ));
    assert!(!dir.exists());

    // Not a backup at all.
    let dir = root.path().join("r3");
    assert!(backup::restore(&b"not a tar stream at all"[..], &dir).is_err());
    assert!(!dir.exists());

    // Never into a folder that holds something.
    let full = root.path().join("full");
    std::fs::create_dir(&full).expect("mkdir");
    std::fs::write(full.join("x"), b"x").expect("write");
    assert!(matches!(
        backup::restore(&stream[..], &full),
        Err(OpenError::NotEmpty(_))
    ));
    assert!(full.join("x").exists());
}

#[test]
fn a_backup_with_a_path_a_vault_does_not_have_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, "keyslots.json/../../escape", &b"x"[..])
        .or_else(|_| b.append_data(&mut h, "notes/escape.txt", &b"x"[..]))
        .expect("append");
    let stream = b.into_inner().expect("tar");
    let dir = root.path().join("r");
    assert!(matches!(
        backup::restore(&stream[..], &dir),
        Err(OpenError::Damaged { .. })
    ));
    assert!(!dir.exists());
    assert!(!root.path().join("escape").exists());
}
