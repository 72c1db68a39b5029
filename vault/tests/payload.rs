//! Payloads of kinds other than evidence: written as a stream, stored with
//! their record under a derived id, read back checked, verified, recorded
//! in custody when read out, and shredded with their item.

use std::io::{Read, Write};

use temoin_vault::custody::Action;
use temoin_vault::desk_records::{CaseSummary, Received, Triage, TriageState};
use temoin_vault::verify::Problem;
use temoin_vault::{ItemId, KdfChoice, Kind, OriginalUse, Passphrase, Vault, VaultError};

fn vault(root: &std::path::Path) -> Vault {
    Vault::create(
        &root.join("store"),
        &Passphrase::from("correct horse battery staple"),
        KdfChoice::Minimum,
    )
    .expect("create")
}

fn received(sha256: &str, size: u64) -> Received {
    Received {
        bundle_id: "7a3c1f0e-0000-4000-8000-000000000001".into(),
        sequence: 1,
        device_key_id: "ABCDEF0123456789".into(),
        device_label: Some("Tunis office".into()),
        purpose: "share_with_omct".into(),
        format: "temoin-bundle/1".into(),
        sealed_at: "2026-12-01T10:00:00Z".into(),
        received_at: "2026-12-01T11:00:00Z".into(),
        case: ItemId::random(),
        supersedes: None,
        manifest_sha256: "a".repeat(64),
        file_sha256: Some("b".repeat(64)),
        sha256: sha256.to_owned(),
        size,
        files_verified: 2,
        custody_verified: 3,
        withheld: 0,
        as_arrived: false,
        summary: CaseSummary {
            title: "Searchable title".into(),
            country: Some("TN".into()),
            urgent: true,
            violations: vec!["torture".into()],
            files_follow: false,
        },
    }
}

/// A payload written in pieces, stored under a derived id.
fn store_one(v: &mut Vault, bytes: &[u8]) -> ItemId {
    let mut w = v.payload_writer().expect("writer");
    for chunk in bytes.chunks(1000) {
        w.write_all(chunk).expect("write");
    }
    let staged = w.finish().expect("finish");
    let facts = staged.facts().clone();
    assert_eq!(facts.size, bytes.len() as u64);
    let id = v.derived_id("received/one");
    v.add_with_payload(id, staged, &received(&facts.sha256, facts.size))
        .expect("add");
    id
}

#[test]
fn a_payload_is_stored_read_back_verified_and_shredded() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let bytes: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let id = store_one(&mut v, &bytes);
    assert_eq!(
        v.derived_id("received/one"),
        id,
        "the same context, the same id"
    );
    assert_ne!(v.derived_id("received/two"), id);
    assert_eq!(v.kind_of(id), Some(Kind::Received));
    assert_eq!(v.search("searchable", 10).len(), 1);

    // Streamed, then checked at the end.
    let mut r = v.payload_reader::<Received>(id).expect("reader");
    let mut back = Vec::new();
    r.read_to_end(&mut back).expect("read");
    r.finish().expect("matches");
    assert_eq!(back, bytes);

    // Read out whole: recorded in custody.
    let mut out = Vec::new();
    v.read_payload::<Received, _>(id, &mut out, OriginalUse::Export)
        .expect("read");
    assert_eq!(out, bytes);
    let last = v.custody().expect("custody").pop().expect("an entry");
    assert_eq!(last.body.action, Action::ExportOriginal);
    assert_eq!(last.body.item, Some(id));

    let report = v.verify().expect("verify");
    assert_eq!(report.payloads, 1, "{:?}", report.problems);
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // An id in use is not taken again, with or without a payload.
    let staged = v.stage_payload(&b"x"[..], &mut |_| {}).expect("stage");
    let sha = staged.facts().sha256.clone();
    assert!(v.add_with_payload(id, staged, &received(&sha, 1)).is_err());

    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    assert!(blob.is_file());
    assert!(v.delete(id).expect("delete"));
    assert!(!blob.exists(), "the payload goes with its item");
}

#[test]
fn a_record_that_lies_about_its_payload_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let staged = v
        .stage_payload(&b"the real bytes"[..], &mut |_| {})
        .expect("stage");
    let id = ItemId::random();
    let wrong = received(&"0".repeat(64), 14);
    assert!(v.add_with_payload(id, staged, &wrong).is_err());
    assert_eq!(v.kind_of(id), None);
    // Nothing left behind in staging.
    let staging = v.dir().join("blobs").join("staging");
    assert_eq!(std::fs::read_dir(staging).expect("staging").count(), 0);
}

#[test]
fn a_swapped_or_damaged_payload_is_found() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let id = store_one(&mut v, &vec![7u8; 300_000]);
    let other_bytes = vec![9u8; 300_000];
    let staged = v
        .stage_payload(&other_bytes[..], &mut |_| {})
        .expect("stage");
    let facts = staged.facts().clone();
    let other = v.derived_id("received/other");
    v.add_with_payload(other, staged, &received(&facts.sha256, facts.size))
        .expect("add");
    // Someone with the disk swaps the two files: both open with the
    // store's key, but neither matches its record.
    let blobs = v.dir().join("blobs");
    let (a, b) = (
        blobs.join(format!("{id}.age")),
        blobs.join(format!("{other}.age")),
    );
    let tmp = blobs.join("swap");
    std::fs::rename(&a, &tmp).expect("swap");
    std::fs::rename(&b, &a).expect("swap");
    std::fs::rename(&tmp, &b).expect("swap");
    let err = v
        .read_payload::<Received, _>(id, std::io::sink(), OriginalUse::View)
        .unwrap_err();
    assert!(matches!(err, VaultError::PayloadDamaged { .. }), "{err:?}");
    let report = v.verify().expect("verify");
    let damaged = report
        .problems
        .iter()
        .filter(|p| matches!(p, Problem::PayloadDamaged { .. }))
        .count();
    assert_eq!(damaged, 2, "{:?}", report.problems);
}

/// Stages `source` as it arrived, reads part of it as a checker would,
/// and stores it.
fn keep_as_arrived(v: &mut Vault, source: &std::path::Path, name: &str, link: bool) -> ItemId {
    let mut arrived = v.stage_as_arrived(source, link).expect("stage");
    let mut first = [0u8; 1000];
    arrived.read_exact(&mut first).expect("read");
    // The rest is read by finish: the facts are those of every byte.
    let staged = arrived.finish().expect("finish");
    let facts = staged.facts().clone();
    let id = v.derived_id(name);
    let record = Received {
        as_arrived: true,
        ..received(&facts.sha256, facts.size)
    };
    v.add_with_payload(id, staged, &record).expect("add");
    id
}

#[test]
fn a_payload_kept_as_arrived_is_linked_stored_as_is_and_checked() {
    use sha2::Digest;
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    // Stands for a bundle sealed to a key the vault does not hold.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let source = root.path().join("inbox.tar.age");
    std::fs::write(&source, &bytes).expect("write");
    let id = keep_as_arrived(&mut v, &source, "received/as-arrived", true);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    // On the same file system: a second name, no byte copied; the first
    // name is its owner's to remove.
    assert_eq!(
        std::fs::metadata(&blob).expect("blob").ino(),
        std::fs::metadata(&source).expect("source").ino()
    );
    assert_eq!(std::fs::read(&blob).expect("blob"), bytes);
    let record = v.require::<Received>(id).expect("record").record;
    assert_eq!(record.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(record.size, bytes.len() as u64);

    // Read back as they are, never through the vault's decryption.
    let mut r = v.payload_reader::<Received>(id).expect("reader");
    let mut back = Vec::new();
    r.read_to_end(&mut back).expect("read");
    r.finish().expect("matches");
    assert_eq!(back, bytes);
    let report = v.verify().expect("verify");
    assert_eq!(report.payloads, 1, "{:?}", report.problems);
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // One byte changed on disk is found, by a read and by verify.
    let mut damaged = bytes.clone();
    damaged[150_000] ^= 1;
    std::fs::remove_file(&source).expect("remove the inbox's name");
    std::fs::write(&blob, &damaged).expect("damage");
    let mut r = v.payload_reader::<Received>(id).expect("reader");
    r.read_to_end(&mut Vec::new()).expect("read");
    assert!(matches!(r.finish(), Err(VaultError::PayloadDamaged { .. })));
    let report = v.verify().expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, Problem::PayloadDamaged { .. })),
        "{:?}",
        report.problems
    );
    assert!(v.delete(id).expect("delete"));
    assert!(!blob.exists(), "the payload goes with its item");
}

#[test]
fn a_payload_not_ours_or_elsewhere_is_copied_and_left_in_place() {
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    // /dev/shm is a tmpfs on Linux: another file system than the vault's.
    let elsewhere = tempfile::tempdir_in("/dev/shm").expect("a folder in /dev/shm");
    assert_ne!(
        std::fs::metadata(elsewhere.path()).expect("shm").dev(),
        std::fs::metadata(v.dir()).expect("vault").dev(),
        "this test needs /dev/shm on another file system than TMPDIR"
    );
    let bytes = vec![42u8; 100_000];
    let source = elsewhere.path().join("stick.tar.age");
    std::fs::write(&source, &bytes).expect("write");
    let id = keep_as_arrived(&mut v, &source, "received/copied", true);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    assert_eq!(std::fs::read(&blob).expect("blob"), bytes);
    assert_eq!(std::fs::read(&source).expect("source"), bytes);

    // A file the caller does not own is copied even on the same file
    // system: shredding the item must never overwrite it.
    let mine = root.path().join("mine.tar.age");
    std::fs::write(&mine, &bytes).expect("write");
    let id = keep_as_arrived(&mut v, &mine, "received/not-ours", false);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    assert_ne!(
        std::fs::metadata(&blob).expect("blob").ino(),
        std::fs::metadata(&mine).expect("mine").ino()
    );
    assert!(v.delete(id).expect("delete"));
    assert_eq!(std::fs::read(&mine).expect("mine"), bytes, "left as it was");
}

#[test]
fn a_record_must_say_how_its_payload_is_kept() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let source = root.path().join("inbox.tar.age");
    std::fs::write(&source, vec![1u8; 5000]).expect("write");
    // Kept as it arrived, but the record says the vault sealed it: read
    // through the vault's key it would not decrypt.
    let staged = v
        .stage_as_arrived(&source, true)
        .expect("stage")
        .finish()
        .expect("finish");
    let facts = staged.facts().clone();
    let id = ItemId::random();
    assert!(v
        .add_with_payload(id, staged, &received(&facts.sha256, facts.size))
        .is_err());
    // Sealed by the vault, but the record says it is as it arrived: read
    // as is, it would hand out ciphertext.
    let staged = v.stage_payload(&b"plain"[..], &mut |_| {}).expect("stage");
    let facts = staged.facts().clone();
    let record = Received {
        as_arrived: true,
        ..received(&facts.sha256, facts.size)
    };
    assert!(v.add_with_payload(id, staged, &record).is_err());
    assert_eq!(v.kind_of(id), None);
    let staging = v.dir().join("blobs").join("staging");
    assert_eq!(std::fs::read_dir(staging).expect("staging").count(), 0);
    assert!(
        source.is_file(),
        "the source is never the vault's to remove"
    );
}

#[test]
fn a_triage_row_keeps_its_history_and_its_fixed_facts() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let case = ItemId::random();
    let mut row = Triage {
        device_key_id: "ABCDEF0123456789".into(),
        device_label: None,
        case,
        state: TriageState::New,
        note: None,
        bundles: vec![ItemId::random()],
        received_at: "2026-12-01T11:00:00Z".into(),
        summary: CaseSummary {
            title: "t".into(),
            ..CaseSummary::default()
        },
    };
    let id = v.derived_id("triage/x");
    v.add_with_id(id, &row).expect("add");
    assert!(v.add_with_id(id, &row).is_err(), "an id is not taken twice");
    row.state = TriageState::InReview;
    v.update(id, &row).expect("update");
    let states: Vec<TriageState> = v
        .history::<Triage>(id)
        .expect("history")
        .into_iter()
        .map(|s| s.record.state)
        .collect();
    assert_eq!(states, [TriageState::New, TriageState::InReview]);
    row.case = ItemId::random();
    assert!(
        v.update(id, &row).is_err(),
        "a row never moves to another case"
    );
}

/// A crash after the payload took its place among the blobs and before its
/// record was stored leaves a blob no record names: the next unlock
/// removes that name, and never overwrites a file that has another (the
/// bundle still in the desk's inbox).
#[test]
fn an_orphan_blob_that_shares_its_file_is_unlinked_not_shredded() {
    let root = tempfile::tempdir().expect("tempdir");
    let v = vault(root.path());
    let dir = v.dir().to_owned();
    v.lock();
    let bytes = vec![5u8; 70_000];
    let source = root.path().join("inbox.tar.age");
    std::fs::write(&source, &bytes).expect("write");
    let orphan = dir.join("blobs").join(format!("{}.age", ItemId::random()));
    std::fs::hard_link(&source, &orphan).expect("link");
    let v = Vault::unlock(&dir, &Passphrase::from("correct horse battery staple")).expect("unlock");
    assert!(!orphan.exists(), "the orphan's name goes");
    assert_eq!(std::fs::read(&source).expect("source"), bytes, "left whole");
    drop(v);
}

/// Only the vault owner's own regular file with no other name is linked:
/// a symbolic link, a file named twice, and a copy cut short are not.
#[test]
fn only_a_file_of_ones_own_with_one_name_is_linked() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = tempfile::tempdir().expect("tempdir");
    let mut v = vault(root.path());
    let bytes = vec![3u8; 20_000];
    let target = root.path().join("target.tar.age");
    std::fs::write(&target, &bytes).expect("write");

    // A symbolic link in the inbox: its target is copied, and the store
    // holds a regular file of its own.
    let symlink = root.path().join("symlink.tar.age");
    std::os::unix::fs::symlink(&target, &symlink).expect("symlink");
    let id = keep_as_arrived(&mut v, &symlink, "received/symlink", true);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    let m = std::fs::symlink_metadata(&blob).expect("blob");
    assert!(m.is_file());
    assert_ne!(m.ino(), std::fs::metadata(&target).expect("target").ino());

    // A file with a second name: copied, so that name cannot change it.
    let twice = root.path().join("twice.tar.age");
    std::fs::hard_link(&target, &twice).expect("link");
    let id = keep_as_arrived(&mut v, &twice, "received/twice", true);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    assert_eq!(std::fs::metadata(&blob).expect("blob").nlink(), 1);

    // One's own file with one name: linked, and made private.
    let own = root.path().join("own.tar.age");
    std::fs::write(&own, &bytes).expect("write");
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let id = keep_as_arrived(&mut v, &own, "received/own", true);
    let blob = v.dir().join("blobs").join(format!("{id}.age"));
    let m = std::fs::metadata(&blob).expect("blob");
    assert_eq!(m.ino(), std::fs::metadata(&own).expect("own").ino());
    assert_eq!(m.permissions().mode() & 0o777, 0o600);

    // A copy stopped part way is never stored, as a payload or evidence.
    let mut arrived = v.stage_as_arrived(&target, false).expect("stage");
    let mut first = [0u8; 100];
    arrived.read_exact(&mut first).expect("read");
    arrived.discard();
    let staged = arrived.finish().expect("finish");
    let facts = staged.facts().clone();
    assert_eq!(facts.size, bytes.len() as u64, "still hashed whole");
    let record = Received {
        as_arrived: true,
        ..received(&facts.sha256, facts.size)
    };
    assert!(v
        .add_with_payload(ItemId::random(), staged, &record)
        .is_err());
    let staging = v.dir().join("blobs").join("staging");
    assert_eq!(std::fs::read_dir(staging).expect("staging").count(), 0);
}

/// A device, or a link to one, is refused before anything is read: a
/// hostile stick's link to `/dev/zero` would be read for ever.
#[test]
fn only_a_regular_file_is_staged() {
    let root = tempfile::tempdir().expect("tempdir");
    let v = vault(root.path());
    let link = root.path().join("zero.tar.age");
    std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
    for link_it in [true, false] {
        let err = v.stage_as_arrived(&link, link_it).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
