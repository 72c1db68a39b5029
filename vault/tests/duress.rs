//! The duress passphrase (decoy and shred) and the wrong-passphrase limit.

use std::path::Path;

use temoin_vault::case::Case;
use temoin_vault::duress::{DuressOutcome, ATTEMPTS_FILE, SPARE_DIR, SPARE_REMOVING};
use temoin_vault::{KdfChoice, KdfParams, Kind, OpenError, Passphrase, Vault};

const REAL: &str = "correct horse battery staple";
const DURESS: &str = "grocery list for tuesday";

fn pass(s: &str) -> Passphrase {
    Passphrase::from(s)
}

fn titles(v: &Vault) -> Vec<String> {
    let mut t: Vec<String> = v
        .list(Kind::Case)
        .into_iter()
        .map(|id| v.require::<Case>(id).expect("case").record.title)
        .collect();
    t.sort();
    t
}

fn slots_json(dir: &Path) -> serde_json::Value {
    temoin_vault::fuzzing::slot_table(dir)
}

/// The key-slot file's shape: number of slots, and each slot's kind,
/// cost and salt (what an examiner could compare).
fn shape(dir: &Path) -> Vec<(String, String, String)> {
    slots_json(dir)["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{}/{}/{}",
                    s["kdf"]["m_kib"], s["kdf"]["t_cost"], s["kdf"]["p_cost"]
                ),
                s["kdf"]["salt"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn vault(root: &Path) -> std::path::PathBuf {
    let dir = root.join("vault");
    let mut v = Vault::create(&dir, &pass(REAL), KdfChoice::Minimum).expect("create");
    v.add(&Case::new("The real case")).expect("case");
    v.lock();
    dir
}

#[test]
fn a_duress_passphrase_opens_the_decoy_and_leaves_the_real_vault_as_it_is() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let before = shape(&dir);

    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    assert!(!v.is_spare());
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    // The key-slot file keeps its shape: same number of slots, one salt,
    // one cost.
    let after = shape(&dir);
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|s| s.1 == after[0].1 && s.2 == after[0].2));
    assert_eq!(before[0].2, after[0].2);

    // The decoy: empty at first; the person fills it.
    let mut d = Vault::unlock(&dir, &pass(DURESS)).expect("duress unlock");
    assert!(d.is_spare());
    assert!(titles(&d).is_empty());
    d.add(&Case::new("Shopping receipts")).expect("decoy case");
    d.lock();

    let r = Vault::unlock(&dir, &pass(REAL)).expect("real unlock");
    assert_eq!(titles(&r), ["The real case"]);
    r.lock();
    let d = Vault::unlock(&dir, &pass(DURESS)).expect("duress again");
    assert_eq!(titles(&d), ["Shopping receipts"]);
    d.lock();
    assert!(matches!(
        Vault::unlock(&dir, &pass("neither of them")),
        Err(OpenError::WrongPassphrase)
    ));
}

#[test]
fn a_shredding_duress_passphrase_destroys_the_real_vault_and_opens_an_empty_one() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let before = shape(&dir);
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Shred)
        .expect("set duress");
    v.lock();

    let d = Vault::unlock(&dir, &pass(DURESS)).expect("duress unlock");
    assert!(d.is_spare());
    assert!(titles(&d).is_empty());
    d.lock();
    // The real vault's key is gone: its passphrase opens nothing, its
    // files are gone, and the slot file still looks like any vault's.
    assert!(matches!(
        Vault::unlock(&dir, &pass(REAL)),
        Err(OpenError::WrongPassphrase)
    ));
    assert!(!dir.join("records").exists());
    assert!(!dir.join("custody.head").exists());
    assert!(dir.join(SPARE_DIR).join("records").exists());
    assert_eq!(shape(&dir).len(), before.len());
    // What is left opens with the duress passphrase, again and again.
    let d = Vault::unlock(&dir, &pass(DURESS)).expect("again");
    assert!(d.verify().expect("verify").is_ok());
}

#[test]
fn setting_a_duress_passphrase_is_refused_when_it_cannot_work() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    assert!(matches!(
        v.set_duress(
            &pass("not the passphrase"),
            &pass(DURESS),
            DuressOutcome::Decoy
        ),
        Err(OpenError::WrongPassphrase)
    ));
    assert!(v
        .set_duress(&pass(REAL), &pass(REAL), DuressOutcome::Decoy)
        .is_err());
    assert!(!dir.join(SPARE_DIR).exists());
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Decoy)
        .expect("first");
    assert!(v
        .set_duress(&pass(REAL), &pass("another one"), DuressOutcome::Decoy)
        .is_err());
    // In the vault, the duress passphrase is not this vault's: changing it
    // from here is refused, and both passphrases still open what they did.
    assert!(matches!(
        v.change_passphrase(&pass(DURESS), &pass("taken over"), KdfChoice::Minimum),
        Err(OpenError::WrongPassphrase)
    ));
    v.lock();
    assert!(Vault::unlock(&dir, &pass(DURESS))
        .expect("duress")
        .is_spare());
    assert!(!Vault::unlock(&dir, &pass(REAL)).expect("real").is_spare());
}

/// Every passphrase slot has one salt and one cost.
fn uniform(dir: &Path) -> bool {
    let s = shape(dir);
    s.iter().all(|x| x.1 == s[0].1 && x.2 == s[0].2)
}

#[test]
fn removing_the_duress_passphrase_leaves_a_vault_like_any_other() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let before = shape(&dir);
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    let mut d = Vault::unlock(&dir, &pass(DURESS)).expect("duress unlock");
    d.add(&Case::new("Shopping receipts")).expect("decoy case");
    // Not from the spare store.
    assert!(matches!(
        d.remove_duress(&pass(DURESS)),
        Err(OpenError::NotRecordable(_))
    ));
    d.lock();

    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    // Not with the duress passphrase, nor a wrong one; nothing changes.
    assert!(matches!(
        v.remove_duress(&pass(DURESS)),
        Err(OpenError::NotRecordable(_))
    ));
    assert!(matches!(
        v.remove_duress(&pass("neither of them")),
        Err(OpenError::WrongPassphrase)
    ));
    assert!(dir.join(SPARE_DIR).exists());
    v.remove_duress(&pass(REAL)).expect("remove");
    assert!(!dir.join(SPARE_DIR).exists());
    assert!(!dir.join(SPARE_REMOVING).exists());
    // The file has the shape it had before a duress passphrase was set.
    assert_eq!(shape(&dir).len(), before.len());
    assert!(uniform(&dir));
    match v.remove_duress(&pass(REAL)) {
        Err(OpenError::NotRecordable(m)) => assert!(m.contains("no duress passphrase"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(v.verify().expect("verify").is_ok());
    v.lock();

    assert!(matches!(
        Vault::unlock(&dir, &pass(DURESS)),
        Err(OpenError::WrongPassphrase)
    ));
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    assert_eq!(titles(&v), ["The real case"]);
    // A new one can be set again, and opens a new, empty spare store.
    v.set_duress(&pass(REAL), &pass("another list"), DuressOutcome::Decoy)
        .expect("set again");
    v.lock();
    let d = Vault::unlock(&dir, &pass("another list")).expect("new duress");
    assert!(d.is_spare());
    assert!(titles(&d).is_empty());
}

#[test]
fn a_removal_cut_short_by_a_crash_is_finished_at_the_next_unlock() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    let slots_before = std::fs::read(dir.join("keyslots.json")).expect("slots");
    // What a crash right after the rename leaves: the store renamed, the
    // duress slot still in the file.
    std::fs::rename(dir.join(SPARE_DIR), dir.join(SPARE_REMOVING)).expect("rename");

    // The duress slot opens nothing any more.
    assert!(matches!(
        Vault::unlock(&dir, &pass(DURESS)),
        Err(OpenError::WrongPassphrase)
    ));
    assert_eq!(
        std::fs::read(dir.join("keyslots.json")).expect("slots"),
        slots_before
    );
    // The real passphrase finishes the removal.
    let v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    assert_eq!(titles(&v), ["The real case"]);
    v.lock();
    assert!(!dir.join(SPARE_REMOVING).exists());
    assert_ne!(
        std::fs::read(dir.join("keyslots.json")).expect("slots"),
        slots_before
    );
    assert!(uniform(&dir));
    std::fs::create_dir(dir.join(SPARE_DIR)).expect("stand-in");
    // Even with a store put back by hand, the duress passphrase's slot is
    // gone.
    assert!(matches!(
        Vault::unlock(&dir, &pass(DURESS)),
        Err(OpenError::WrongPassphrase)
    ));
}

#[test]
fn a_new_passphrase_cost_reaches_every_slot_or_is_refused_while_a_duress_slot_needs_the_old() {
    let other = KdfParams {
        m_kib: 20 * 1024,
        t_cost: 2,
        p_cost: 1,
    };
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    // Without a duress passphrase the dummy follows the real slot.
    v.change_passphrase(&pass(REAL), &pass("a new one"), KdfChoice::Exactly(other))
        .expect("change");
    assert!(uniform(&dir));
    assert_eq!(shape(&dir)[0].1, "20480/2/1");
    v.set_duress(&pass("a new one"), &pass(DURESS), DuressOutcome::Decoy)
        .expect("set duress");
    // With one, an explicit other cost is refused and nothing changes...
    let slots = std::fs::read(dir.join("keyslots.json")).expect("slots");
    match v.change_passphrase(
        &pass("a new one"),
        &pass(REAL),
        KdfChoice::Exactly(KdfParams::FLOOR),
    ) {
        Err(OpenError::NotRecordable(m)) => assert!(m.contains("duress"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(dir.join("keyslots.json")).expect("slots"),
        slots
    );
    // ...and a calibrated change keeps the cost the slots share.
    v.change_passphrase(&pass("a new one"), &pass(REAL), KdfChoice::Calibrated)
        .expect("calibrated change");
    assert!(uniform(&dir));
    assert_eq!(shape(&dir)[0].1, "20480/2/1");
    v.lock();
    // The spare store refuses a lower cost as any vault does, and keeps
    // the shared cost silently when another is asked.
    let mut d = Vault::unlock(&dir, &pass(DURESS)).expect("duress unlock");
    match d.change_passphrase(
        &pass(DURESS),
        &pass("groceries again"),
        KdfChoice::Exactly(KdfParams::FLOOR),
    ) {
        Err(OpenError::NotRecordable(m)) => assert!(m.contains("lower"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    d.change_passphrase(
        &pass(DURESS),
        &pass("groceries again"),
        KdfChoice::Exactly(KdfParams {
            m_kib: 24 * 1024,
            ..other
        }),
    )
    .expect("change in the spare store");
    d.lock();
    assert!(uniform(&dir));
    assert_eq!(shape(&dir)[0].1, "20480/2/1");
    assert!(Vault::unlock(&dir, &pass("groceries again"))
        .expect("new duress")
        .is_spare());
    let r = Vault::unlock(&dir, &pass(REAL)).expect("real");
    assert_eq!(titles(&r), ["The real case"]);
}

#[test]
fn wrong_passphrases_up_to_the_limit_wipe_the_vault() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_attempt_limit(Some(3)).expect("limit");
    v.lock();
    assert_eq!(slots_json(&dir)["attempt_limit"], 3);

    // Two wrong, then right: the count starts again.
    for _ in 0..2 {
        assert!(matches!(
            Vault::unlock(&dir, &pass("wrong")),
            Err(OpenError::WrongPassphrase)
        ));
    }
    assert_eq!(
        std::fs::read_to_string(dir.join(ATTEMPTS_FILE)).expect("count"),
        "2"
    );
    Vault::unlock(&dir, &pass(REAL))
        .expect("still opens")
        .lock();
    assert_eq!(
        std::fs::read_to_string(dir.join(ATTEMPTS_FILE)).expect("count"),
        "0"
    );

    // Three wrong in a row: wiped.
    for _ in 0..3 {
        assert!(matches!(
            Vault::unlock(&dir, &pass("wrong")),
            Err(OpenError::WrongPassphrase)
        ));
    }
    assert!(!dir.join("keyslots.json").exists());
    assert!(matches!(
        Vault::unlock(&dir, &pass(REAL)),
        Err(OpenError::NotAVault(_))
    ));
}

#[test]
fn an_attempt_is_counted_before_the_derivation_so_a_kill_cannot_undo_it() {
    // The counter is on disk (synced) before the key derivation starts: a
    // process killed during the derivation has already counted. Here the
    // limit was reached by a process that died right after counting (the
    // file says 3 of 3); the next start wipes instead of trying.
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_attempt_limit(Some(3)).expect("limit");
    v.lock();
    std::fs::write(dir.join(ATTEMPTS_FILE), "3").expect("write");
    assert!(matches!(
        Vault::unlock(&dir, &pass(REAL)),
        Err(OpenError::NotAVault(_))
    ));
    assert!(!dir.exists());
}

#[test]
fn without_a_limit_failures_are_counted_but_never_wipe() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    for _ in 0..12 {
        assert!(Vault::unlock(&dir, &pass("wrong")).is_err());
    }
    assert_eq!(
        std::fs::read_to_string(dir.join(ATTEMPTS_FILE)).expect("count"),
        "12"
    );
    Vault::unlock(&dir, &pass(REAL)).expect("opens").lock();
}

/// The attack an examiner's read found: an empty `spare/` folder (so the
/// vault believes a duress slot shares its cost) and the dummy slot edited
/// down to the floor, so that the next passphrase change rewraps the real
/// slot at the dummy's cost. The edited file is refused as damaged; the
/// folder alone changes nothing; and a lower cost is never taken.
#[test]
fn an_edited_slot_cost_or_an_empty_spare_folder_cannot_cheapen_the_passphrase() {
    let cost = KdfParams {
        m_kib: 20 * 1024,
        t_cost: 3,
        p_cost: 1,
    };
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("vault");
    Vault::create(&dir, &pass(REAL), KdfChoice::Exactly(cost))
        .expect("create")
        .lock();
    let original = std::fs::read(dir.join("keyslots.json")).expect("slots");

    let mut edited = slots_json(&dir);
    edited["slots"][1]["kdf"]["m_kib"] = KdfParams::FLOOR.m_kib.into();
    edited["slots"][1]["kdf"]["t_cost"] = KdfParams::FLOOR.t_cost.into();
    assert!(temoin_vault::fuzzing::write_slot_table(&dir, &edited));
    std::fs::create_dir(dir.join(SPARE_DIR)).expect("spare");
    match Vault::unlock(&dir, &pass(REAL)) {
        Err(OpenError::Damaged { what }) => assert!(what.contains("different costs"), "{what}"),
        other => panic!("expected damage, got {:?}", other.map(|_| ())),
    }

    std::fs::write(dir.join("keyslots.json"), &original).expect("write");
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    let asked_lower = v.change_passphrase(
        &pass(REAL),
        &pass("a new one"),
        KdfChoice::Exactly(KdfParams::FLOOR),
    );
    assert!(
        matches!(asked_lower, Err(OpenError::NotRecordable(_))),
        "{asked_lower:?}"
    );
    assert_eq!(
        std::fs::read(dir.join("keyslots.json")).expect("slots"),
        original
    );
    v.change_passphrase(&pass(REAL), &pass("a new one"), KdfChoice::Calibrated)
        .expect("change");
    v.lock();
    let real = &slots_json(&dir)["slots"][0]["kdf"];
    assert!(
        real["m_kib"].as_u64().expect("m") >= u64::from(cost.m_kib),
        "{real}"
    );
    assert!(
        real["t_cost"].as_u64().expect("t") >= u64::from(cost.t_cost),
        "{real}"
    );
    assert!(uniform(&dir));
    Vault::unlock(&dir, &pass("a new one")).expect("the new passphrase opens");
}

/// Everything a coercer can do from a vault, written down as what it
/// answers: run against a vault without a duress passphrase and against
/// the decoy a duress passphrase opens, it must read the same, word for
/// word (see docs/threat-model.md for what still differs).
fn script(v: &mut Vault, open: &str, guess: &str, root: &Path) -> Vec<String> {
    use temoin_vault::backup::{restore_file, RecoveryKey, RecoveryOpener};
    let say = |r: Result<(), OpenError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let mut out = Vec::new();
    let p = pass(open);
    out.push(say(v.set_duress(&p, &p, DuressOutcome::Decoy)));
    out.push(say(v.set_duress(
        &pass("a guess"),
        &pass("other"),
        DuressOutcome::Decoy,
    )));
    out.push(say(v.remove_duress(&p)));
    // A coercer who guesses the real vault's passphrase learns nothing:
    // as a duress passphrase, or as the current one.
    out.push(say(v.set_duress(&p, &pass(guess), DuressOutcome::Decoy)));
    out.push(say(v.remove_duress(&pass(guess))));
    out.push(say(v.set_duress(
        &pass(guess),
        &pass("other"),
        DuressOutcome::Decoy,
    )));
    out.push(say(v.remove_duress(&p)));
    out.push(say(v.set_duress(&p, &pass("second"), DuressOutcome::Decoy)));
    out.push(say(v.set_duress(&p, &pass("third"), DuressOutcome::Shred)));
    out.push(say(v.remove_duress(&pass("a guess"))));
    out.push(say(v.remove_duress(&p)));
    out.push(say(v.remove_duress(&p)));
    out.push(say(v.set_attempt_limit(Some(5))));
    out.push(format!(
        "{:?}",
        v.attempt_limit().map_err(|e| e.to_string())
    ));
    out.push(say(v.set_attempt_limit(None)));
    out.push(say(v.change_passphrase(
        &p,
        &pass("changed"),
        KdfChoice::Minimum,
    )));
    out.push(say(v.change_passphrase(
        &pass("changed"),
        &p,
        KdfChoice::Minimum,
    )));
    let file = root.join("backup.age");
    let recovery = pass("recovery words");
    out.push(
        v.backup_to_file(&file, RecoveryKey::Passphrase(&recovery))
            .map(|_| "ok".to_owned())
            .unwrap_or_else(|e| e.to_string()),
    );
    let restored = root.join("restored");
    out.push(
        restore_file(&file, RecoveryOpener::Passphrase(&recovery), &restored)
            .map(|_| "ok".to_owned())
            .unwrap_or_else(|e| e.to_string()),
    );
    match Vault::unlock(&restored, &p) {
        Ok(r) => {
            out.push(format!("restored opens; spare: {}", r.is_spare()));
            out.push(format!("{:?}", titles(&r)));
        }
        Err(e) => out.push(e.to_string()),
    }
    out.push(say(Vault::unlock(&restored, &pass("a guess")).map(|_| ())));
    out
}

#[test]
fn the_decoy_answers_every_command_as_a_vault_without_duress() {
    const OPEN: &str = "what I type when forced";
    // A vault without a duress passphrase, holding one harmless case.
    let plain_root = tempfile::tempdir().expect("tempdir");
    let plain_dir = plain_root.path().join("vault");
    let mut plain = Vault::create(&plain_dir, &pass(OPEN), KdfChoice::Minimum).expect("create");
    plain.add(&Case::new("Shopping")).expect("case");
    // A real vault whose duress passphrase opens a decoy holding the same.
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(OPEN), DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    let mut decoy = Vault::unlock(&dir, &pass(OPEN)).expect("decoy");
    assert!(decoy.is_spare());
    decoy.add(&Case::new("Shopping")).expect("case");

    let expected = script(&mut plain, OPEN, REAL, plain_root.path());
    let seen = script(&mut decoy, OPEN, REAL, root.path());
    assert_eq!(seen, expected);
    assert_eq!(expected[3], "ok", "{expected:?}");
    // The guess, set as a duress passphrase, is then answered as one.
    assert!(
        expected[4].contains("vault's own passphrase"),
        "{expected:?}"
    );
    assert!(
        expected.contains(&"restored opens; spare: false".to_owned()),
        "{expected:?}"
    );
    // And the real vault behind the decoy is as it was.
    drop(decoy);
    let r = Vault::unlock(&dir, &pass(REAL)).expect("real");
    assert_eq!(titles(&r), ["The real case"]);
}

/// A backup of a real vault with a duress passphrase carries the spare
/// store: restored, the duress passphrase opens the decoy again, never
/// "damaged".
#[test]
fn a_restored_vault_answers_its_duress_passphrase_as_before() {
    use temoin_vault::backup::{restore_file, RecoveryKey, RecoveryOpener};
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    let mut d = Vault::unlock(&dir, &pass(DURESS)).expect("decoy");
    d.add(&Case::new("Groceries")).expect("case");
    d.lock();
    let v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    let file = root.path().join("backup.age");
    let recovery = pass("recovery words");
    v.backup_to_file(&file, RecoveryKey::Passphrase(&recovery))
        .expect("backup");
    let restored = root.path().join("restored");
    restore_file(&file, RecoveryOpener::Passphrase(&recovery), &restored).expect("restore");
    let d = Vault::unlock(&restored, &pass(DURESS)).expect("the duress passphrase");
    assert!(d.is_spare());
    assert_eq!(titles(&d), ["Groceries"]);
    drop(d);
    let r = Vault::unlock(&restored, &pass(REAL)).expect("the real passphrase");
    assert_eq!(titles(&r), ["The real case"]);
}

/// The spare store's settings removed or put back (with sled, on the
/// disk): the duress passphrase still opens the decoy without a word, so
/// nobody watching learns that it was the duress one.
#[test]
fn a_tampered_spare_store_still_opens_as_a_decoy_without_an_error() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = vault(root.path());
    let mut v = Vault::unlock(&dir, &pass(REAL)).expect("unlock");
    v.set_duress(&pass(REAL), &pass(DURESS), DuressOutcome::Shred)
        .expect("set duress");
    v.lock();
    let records = dir.join(SPARE_DIR).join("records");
    let db = sled::open(&records).expect("open the spare store");
    let settings: Vec<_> = db
        .scan_prefix(b"t")
        .keys()
        .map(|k| k.expect("key"))
        .collect();
    assert!(!settings.is_empty(), "the spare store has its outcome");
    for k in settings {
        db.remove(k).expect("remove");
    }
    db.flush().expect("flush");
    drop(db);
    std::thread::sleep(std::time::Duration::from_millis(200));

    let d = Vault::unlock(&dir, &pass(DURESS)).expect("the duress passphrase opens the decoy");
    assert!(d.is_spare());
    d.lock();
    // What could not be read is taken as a decoy: the real vault stays.
    let v = Vault::unlock(&dir, &pass(REAL)).expect("the real vault");
    assert_eq!(titles(&v), vec!["The real case".to_owned()]);
}
