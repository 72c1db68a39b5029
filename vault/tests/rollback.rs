//! Rollback: parts of the store put back from an older copy, or removed,
//! with sled itself (as someone with the disk but not the key could), are
//! named as damage at unlock and by `verify`, never served.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::open_sled;
use temoin_bundle::{PayloadIdentity, Purpose};
use temoin_vault::case::{Case, Consent, ConsentScope, Person, Withdrawal};
use temoin_vault::custody::Action;
use temoin_vault::export::ExportOptions;
use temoin_vault::verify::Problem;
use temoin_vault::{ItemId, KdfChoice, OpenError, PartialDate, Passphrase, RolledBack, Vault};

const PASS: &str = "correct horse battery staple";

fn pass() -> Passphrase {
    Passphrase::from(PASS)
}

fn new_vault(root: &Path) -> (PathBuf, Vault) {
    let dir = root.join("vault");
    let v = Vault::create(&dir, &pass(), KdfChoice::Minimum).expect("create");
    (dir, v)
}

fn unlock(dir: &Path) -> Vault {
    Vault::unlock(dir, &pass()).expect("unlock")
}

/// Every sled entry whose key starts with `prefix`, while the vault is
/// closed.
fn entries(dir: &Path, prefix: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let db = open_sled(&dir.join("records"));
    let out = db
        .scan_prefix(prefix)
        .map(|kv| {
            let (k, v) = kv.expect("read");
            (k.to_vec(), v.to_vec())
        })
        .collect();
    drop(db);
    out
}

/// Puts entries back (or removes keys), while the vault is closed.
fn put_back(dir: &Path, put: &BTreeMap<Vec<u8>, Vec<u8>>, remove: &[Vec<u8>]) {
    let db = open_sled(&dir.join("records"));
    for (k, v) in put {
        db.insert(k, v.clone()).expect("insert");
    }
    for k in remove {
        db.remove(k).expect("remove");
    }
    db.flush().expect("flush");
    drop(db);
}

fn record_key(id: ItemId, revision: u32) -> Vec<u8> {
    let mut k = vec![b'r'];
    k.extend_from_slice(id.as_bytes());
    k.extend_from_slice(&revision.to_be_bytes());
    k
}

/// A case with a consent that covers sharing with OMCT.
fn shareable_case(v: &mut Vault) -> ItemId {
    let case = v.add(&Case::new("A case")).expect("case");
    v.add(&Consent::new(
        case,
        "A witness",
        PartialDate("2026-11-01".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .expect("consent");
    case
}

/// Options for a bundle to a made-up OMCT key.
fn to_omct() -> ExportOptions {
    ExportOptions {
        purpose: Purpose::ShareWithOmct,
        recipients: vec![PayloadIdentity::generate().recipient()],
        supersedes: None,
        part: None,
    }
}

/// A vault whose setting `enrollment` was written, then written again
/// after an unlock; the state record, the settings and the custody head
/// file as they were between the two writes.
#[allow(clippy::type_complexity)]
fn a_setting_written_twice(
    root: &Path,
) -> (
    PathBuf,
    BTreeMap<Vec<u8>, Vec<u8>>,
    BTreeMap<Vec<u8>, Vec<u8>>,
    Vec<u8>,
) {
    let (dir, mut v) = new_vault(root);
    v.put_state("enrollment", b"the first server").expect("put");
    v.lock();
    let record = entries(&dir, b"mstate-record");
    let settings = entries(&dir, b"t");
    let head = std::fs::read(dir.join("custody.head")).expect("head");
    let mut v = unlock(&dir);
    v.put_state("enrollment", b"the second server")
        .expect("put");
    v.lock();
    (dir, record, settings, head)
}

/// Flips a byte in the middle of each value.
fn garble(values: &mut BTreeMap<Vec<u8>, Vec<u8>>) {
    for v in values.values_mut() {
        let i = v.len() / 2;
        v[i] ^= 0x55;
    }
}

/// The offsets where `after` differs from `before` (or goes past it).
fn changed_bytes(before: &[u8], after: &[u8]) -> Vec<usize> {
    (0..after.len())
        .filter(|&i| before.get(i) != Some(&after[i]))
        .collect()
}

fn withdrawn_consent(v: &mut Vault) -> (ItemId, ItemId) {
    let case = v.add(&Case::new("A case")).expect("case");
    let mut consent = Consent::new(
        case,
        "A witness",
        PartialDate("2026-11-01".into()),
        vec![ConsentScope::ShareWithOmct],
    );
    let id = v.add(&consent).expect("consent");
    consent.withdrawal = Some(Withdrawal {
        on: PartialDate("2026-11-20".into()),
        scopes: Vec::new(),
        note: None,
    });
    assert_eq!(v.update(id, &consent).expect("withdraw"), 1);
    (case, id)
}

#[test]
fn a_deleted_latest_revision_is_named_and_the_older_one_not_served() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let (_case, consent) = withdrawn_consent(&mut v);
    v.lock();
    // The withdrawal removed with sled, and the index snapshot with it so
    // that unlock reads every record.
    put_back(&dir, &BTreeMap::new(), &[record_key(consent, 1)]);
    std::fs::remove_file(dir.join("index.snapshot")).expect("snapshot");

    let v = unlock(&dir);
    assert!(
        v.get::<Consent>(consent).is_err(),
        "the consent before its withdrawal was served"
    );
    assert_eq!(v.damaged(), vec![consent]);
    assert_eq!(
        v.rolled_back(),
        &[RolledBack::Item {
            id: consent,
            expected: 1,
            found: Some(0),
        }]
    );
    let report = v.verify().expect("verify");
    assert!(
        report.problems.contains(&Problem::RolledBack {
            id: consent,
            expected: 1,
            found: Some(0),
        }),
        "{:?}",
        report.problems
    );
    // It stays named at the next unlock (through the snapshot written at
    // lock), until the item is dealt with.
    v.lock();
    let mut v = unlock(&dir);
    assert_eq!(v.damaged(), vec![consent]);
    assert_eq!(v.rolled_back().len(), 1);
    // Deleting it settles the vault: nothing is named any more.
    assert!(v.delete(consent).expect("delete"));
    v.lock();
    let v = unlock(&dir);
    assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
    assert!(v.verify().expect("verify").is_ok());
}

#[test]
fn with_the_snapshot_kept_a_deleted_revision_is_refused_and_verify_names_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let (_case, consent) = withdrawn_consent(&mut v);
    v.lock();
    put_back(&dir, &BTreeMap::new(), &[record_key(consent, 1)]);

    let v = unlock(&dir);
    assert!(v.get::<Consent>(consent).is_err());
    let report = v.verify().expect("verify");
    assert!(report.problems.contains(&Problem::RolledBack {
        id: consent,
        expected: 1,
        found: Some(0),
    }));
}

#[test]
fn a_deleted_item_put_back_is_named_and_not_served() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let person = v.add(&Person::new("Someone deleted")).expect("person");
    v.lock();
    let mut kept = entries(&dir, b"k");
    kept.extend(entries(&dir, b"r"));
    let mut v = unlock(&dir);
    assert!(v.delete(person).expect("delete"));
    v.lock();
    put_back(&dir, &kept, &[]);

    // Through the index snapshot, the item is not there; `verify` names it.
    let v = unlock(&dir);
    assert!(
        v.get::<Person>(person).expect("get").is_none(),
        "a deleted person came back"
    );
    let report = v.verify().expect("verify");
    assert!(report
        .problems
        .contains(&Problem::NotInCustody { id: person }));
    v.lock();
    // Read from the store itself, it is named and held back.
    std::fs::remove_file(dir.join("index.snapshot")).expect("snapshot");
    let v = unlock(&dir);
    assert!(
        v.get::<Person>(person).is_err(),
        "a deleted person came back"
    );
    assert_eq!(v.rolled_back(), &[RolledBack::Deleted { id: person }]);
}

#[test]
fn an_older_setting_put_back_is_named_and_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    v.put_state("enrollment", b"the first server").expect("put");
    v.set_forget_after_delivery(true).expect("policy on");
    v.lock();
    let before = entries(&dir, b"t");
    let mut v = unlock(&dir);
    v.put_state("enrollment", b"the second server")
        .expect("put");
    v.set_forget_after_delivery(false).expect("policy off");
    v.lock();
    // Both older values put back: the first enrollment, and the policy
    // that was switched off.
    put_back(&dir, &before, &[]);

    let mut v = unlock(&dir);
    assert!(v.get_state("enrollment").is_err());
    assert!(v.forget_after_delivery().is_err());
    let mut named: Vec<_> = v.rolled_back().to_vec();
    named.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        named,
        vec![
            RolledBack::Setting {
                name: Some("enrollment".into())
            },
            RolledBack::Setting {
                name: Some("policy/forget-after-delivery".into())
            },
        ]
    );
    assert_eq!(
        v.verify()
            .expect("verify")
            .problems
            .iter()
            .filter(|p| matches!(p, Problem::SettingRolledBack { .. }))
            .count(),
        2
    );
    // Written again, a setting is current again.
    v.put_state("enrollment", b"the second server")
        .expect("put");
    assert_eq!(
        v.get_state("enrollment")
            .expect("get")
            .as_deref()
            .map(|b| &b[..]),
        Some(&b"the second server"[..])
    );
}

#[test]
fn a_removed_setting_is_named_and_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    v.set_forget_after_delivery(true).expect("policy on");
    v.lock();
    let all = entries(&dir, b"t");
    put_back(
        &dir,
        &BTreeMap::new(),
        &all.keys().cloned().collect::<Vec<_>>(),
    );

    let v = unlock(&dir);
    assert!(
        v.forget_after_delivery().is_err(),
        "a removed policy read as off"
    );
    assert_eq!(v.rolled_back(), &[RolledBack::Setting { name: None }]);
}

#[test]
fn an_older_bundle_sequence_put_back_is_named_and_never_reused() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let case = shareable_case(&mut v);
    v.lock();
    let before = entries(&dir, b"mbundle-sequence");
    assert_eq!(before.len(), 1);
    let options = to_omct();
    let mut v = unlock(&dir);
    let first = v
        .export_bundle(case, &options, &mut Vec::new())
        .expect("export")
        .manifest
        .sequence;
    assert_eq!(first, 1);
    v.lock();
    put_back(&dir, &before, &[]);

    let mut v = unlock(&dir);
    assert_eq!(
        v.rolled_back(),
        &[RolledBack::BundleSequence {
            stored: Some(0),
            expected: 1,
        }]
    );
    assert!(v
        .verify()
        .expect("verify")
        .problems
        .contains(&Problem::BundleSequenceRolledBack {
            stored: Some(0),
            expected: 1,
        }));
    let second = v
        .export_bundle(case, &options, &mut Vec::new())
        .expect("export")
        .manifest
        .sequence;
    assert_eq!(second, 2, "a bundle sequence number was used twice");
    let sequences: Vec<u64> = v
        .custody()
        .expect("custody")
        .into_iter()
        .filter(|e| e.body.action == Action::ExportBundle)
        .filter_map(|e| e.body.bundle.map(|b| b.sequence))
        .collect();
    assert_eq!(sequences, vec![1, 2]);
}

#[test]
fn an_older_state_record_or_store_put_back_fails_closed() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    v.put_state("enrollment", b"the first server").expect("put");
    v.lock();
    let old_record = entries(&dir, b"mstate-record");
    let old_settings = entries(&dir, b"t");
    assert_eq!(old_record.len(), 1);
    let mut v = unlock(&dir);
    // A change of settings only: no custody entry is written.
    v.put_state("enrollment", b"the second server")
        .expect("put");
    v.lock();
    // The setting and the state record that describes it, both older:
    // consistent with each other, but older than the head file says.
    let mut older = old_record.clone();
    older.extend(old_settings);
    put_back(&dir, &older, &[]);
    match Vault::unlock(&dir, &pass()) {
        Err(OpenError::Damaged { what }) => {
            assert!(what.contains("older copy"), "{what}")
        }
        other => panic!("an older store opened: {other:?}"),
    }
}

/// A crash between sled's write and the head file's, twice in a row with
/// an unlock between: the head that was not written is put back each time.
#[test]
fn two_crashes_between_sled_and_the_head_file_still_open() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    v.put_state("enrollment", b"first").expect("put");
    v.lock();
    let head_path = dir.join("custody.head");
    for round in 0..3 {
        let mut v = unlock(&dir);
        // The head as it is before the write the crash interrupts.
        let before = std::fs::read(&head_path).expect("head");
        let case = v
            .add(&temoin_vault::case::Case::new(format!("Case {round}")))
            .expect("add");
        v.lock();
        std::fs::write(&head_path, &before).expect("the head's write lost");
        let v = Vault::unlock(&dir, &pass())
            .unwrap_or_else(|e| panic!("round {round}: a crash made the vault refuse: {e}"));
        assert!(v
            .get::<temoin_vault::case::Case>(case)
            .expect("get")
            .is_some());
        assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
    }
    // A head file put back two writes: named as the head file's doing.
    let v = unlock(&dir);
    let before = std::fs::read(&head_path).expect("head");
    drop(v);
    let mut v = unlock(&dir);
    v.put_state("enrollment", b"second").expect("put");
    v.put_state("enrollment", b"third").expect("put");
    v.lock();
    std::fs::write(&head_path, &before).expect("put back");
    match Vault::unlock(&dir, &pass()) {
        Err(OpenError::Damaged { what }) => {
            assert!(what.contains("custody head file was put back"), "{what}")
        }
        other => panic!("a head file two writes old opened: {other:?}"),
    }
}

#[test]
fn a_state_record_removed_fails_closed() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, v) = new_vault(root.path());
    v.lock();
    put_back(&dir, &BTreeMap::new(), &[b"mstate-record".to_vec()]);
    match Vault::unlock(&dir, &pass()) {
        Err(OpenError::Damaged { what }) => assert!(what.contains("state record"), "{what}"),
        other => panic!("a vault without its state record opened: {other:?}"),
    }
}

#[test]
fn a_vault_that_is_only_used_names_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let (case, consent) = withdrawn_consent(&mut v);
    let person = v.add(&Person::new("Someone")).expect("person");
    v.put_state("enrollment", b"a server").expect("put");
    v.delete_state("enrollment").expect("delete");
    v.set_forget_after_delivery(true).expect("policy");
    assert!(v.delete(person).expect("delete"));
    v.lock();
    for snapshot in [true, false] {
        if !snapshot {
            std::fs::remove_file(dir.join("index.snapshot")).expect("snapshot");
        }
        let v = unlock(&dir);
        assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
        assert!(v.damaged().is_empty());
        assert!(v.get::<Consent>(consent).expect("get").is_some());
        assert!(v.get::<Case>(case).expect("get").is_some());
        let report = v.verify().expect("verify");
        assert!(report.is_ok(), "{:?}", report.problems);
        v.lock();
    }
}

fn custody_key(seq: u64) -> Vec<u8> {
    let mut k = vec![b'c'];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The custody entries' keys and values, in order.
fn custody(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    entries(dir, b"c").into_iter().collect()
}

#[test]
fn a_junk_custody_key_does_not_excuse_a_deleted_item_put_back() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let person = v
        .add(&Person::new("Deleted at her request"))
        .expect("person");
    v.lock();
    let mut kept = entries(&dir, b"k");
    kept.extend(entries(&dir, b"r"));
    let mut v = unlock(&dir);
    assert!(v.delete(person).expect("delete"));
    v.lock();
    // A key that sorts before entry 0, so that the log's tail and the
    // head's checks never see it, only a replay.
    kept.insert(b"c\x00".to_vec(), b"junk".to_vec());
    put_back(&dir, &kept, &[]);
    std::fs::remove_file(dir.join("index.snapshot")).expect("snapshot");

    let v = unlock(&dir);
    assert!(
        v.get::<Person>(person).is_err(),
        "a deleted person came back"
    );
    assert!(v
        .rolled_back()
        .contains(&RolledBack::Deleted { id: person }));
    assert!(v
        .verify()
        .expect("verify")
        .problems
        .contains(&Problem::NotInCustody { id: person }));
}

#[test]
fn a_broken_custody_entry_under_a_rollback_is_named_at_every_unlock() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let (case, consent) = withdrawn_consent(&mut v);
    v.add(&Person::new("Someone after")).expect("person");
    v.lock();
    // The entry that recorded the withdrawal (the edit) garbled, and the
    // withdrawal removed: the log no longer says that revision 1 exists.
    let edit = custody(&dir)
        .into_iter()
        .map(|(k, _)| k)
        .nth(3)
        .expect("the edit's entry");
    assert_eq!(edit, custody_key(3));
    let mut garbled = entries(&dir, &edit);
    garble(&mut garbled);
    put_back(&dir, &garbled, &[record_key(consent, 1)]);
    std::fs::remove_file(dir.join("index.snapshot")).expect("snapshot");

    let mut v = unlock(&dir);
    assert!(
        v.rolled_back().contains(&RolledBack::Record),
        "{:?}",
        v.rolled_back()
    );
    // A write, a lock, an unlock: still named, not sealed in.
    v.add(&Case::new("Written after")).expect("write");
    v.lock();
    let v = unlock(&dir);
    assert!(
        v.rolled_back().contains(&RolledBack::Record),
        "the warning was sealed in by a write: {:?}",
        v.rolled_back()
    );
    assert!(v.get::<Case>(case).expect("get").is_some());
}

#[test]
fn a_garbled_newest_head_slot_does_not_let_the_previous_write_be_put_back() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, old_record, old_settings, head_before) = a_setting_written_twice(root.path());
    // The slot that changed is the newest: garbled, so that the other
    // (one write older) is the head, then the older record and setting.
    let mut head = std::fs::read(dir.join("custody.head")).expect("head");
    let changed = changed_bytes(&head_before, &head);
    assert!(!changed.is_empty());
    for i in changed {
        head[i] ^= 0xA5;
    }
    std::fs::write(dir.join("custody.head"), &head).expect("garble");
    let mut older = old_record;
    older.extend(old_settings);
    put_back(&dir, &older, &[]);
    match Vault::unlock(&dir, &pass()) {
        Err(OpenError::Damaged { what }) => assert!(what.contains("older copy"), "{what}"),
        other => panic!("the previous write was put back unnoticed: {other:?}"),
    }
}

#[test]
fn a_torn_head_write_after_the_store_took_it_still_opens() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, _, _, head_before) = a_setting_written_twice(root.path());
    // As a crash in the middle of the head's write leaves it: the store
    // has the write, the newest slot is half old, half new.
    let head = std::fs::read(dir.join("custody.head")).expect("head");
    let changed = changed_bytes(&head_before, &head);
    let mut torn = head.clone();
    for &i in &changed[changed.len() / 2..] {
        torn[i] = head_before.get(i).copied().unwrap_or(0);
    }
    std::fs::write(dir.join("custody.head"), &torn).expect("tear");
    let v = unlock(&dir);
    assert!(v.rolled_back().is_empty(), "{:?}", v.rolled_back());
    assert_eq!(
        v.get_state("enrollment")
            .expect("get")
            .as_deref()
            .map(|b| &b[..]),
        Some(&b"the second server"[..])
    );
}

#[test]
fn a_lower_bundle_sequence_under_a_broken_export_entry_is_never_reused() {
    let root = tempfile::tempdir().expect("tempdir");
    let (dir, mut v) = new_vault(root.path());
    let case = shareable_case(&mut v);
    v.lock();
    let before = entries(&dir, b"mbundle-sequence");
    let options = to_omct();
    let mut v = unlock(&dir);
    let first = v
        .export_bundle(case, &options, &mut Vec::new())
        .expect("export")
        .manifest
        .sequence;
    v.add(&Person::new("After the export")).expect("person");
    v.lock();
    // The export's custody entry garbled, and the older number put back:
    // the log cannot say the number was used; the state record can.
    let (export_key, _) = custody(&dir)
        .into_iter()
        .rev()
        .nth(1)
        .expect("the export's entry");
    let mut garbled = entries(&dir, &export_key);
    garble(&mut garbled);
    garbled.extend(before);
    put_back(&dir, &garbled, &[]);

    let mut v = unlock(&dir);
    assert!(v.rolled_back().contains(&RolledBack::BundleSequence {
        stored: Some(0),
        expected: first,
    }));
    let second = v
        .export_bundle(case, &options, &mut Vec::new())
        .expect("export")
        .manifest
        .sequence;
    assert!(second > first, "bundle number {second} used twice");
}
