//! Deliver and forget: after a recorded receipt the case's items and keys
//! are gone and the receipt remains; a case changed since its bundle was
//! sealed is refused.

use temoin_bundle::{PayloadIdentity, Purpose};
use temoin_vault::case::{Case, Consent, ConsentScope, Participant, Person, Role, Testimony};
use temoin_vault::custody::{Action, BundleNote};
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, KdfChoice, Kind, PartialDate, Passphrase, Vault};

struct World {
    _root: tempfile::TempDir,
    vault: Vault,
    case: ItemId,
    witness: ItemId,
    shared: ItemId,
    evidence: ItemId,
    blob: std::path::PathBuf,
}

fn world() -> World {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("vault");
    let mut v = Vault::create(
        &dir,
        &Passphrase::from("correct horse battery staple"),
        KdfChoice::Minimum,
    )
    .expect("create");
    let witness = v.add(&Person::new("Only in this case")).expect("person");
    let shared = v.add(&Person::new("Also in another case")).expect("person");
    let mut case = Case::new("Delivered case");
    for p in [witness, shared] {
        case.participants.push(Participant {
            person: p,
            role: Role::Witness,
            note: None,
        });
    }
    let case = v.add(&case).expect("case");
    let mut other = Case::new("Another case");
    other.participants.push(Participant {
        person: shared,
        role: Role::Victim,
        note: None,
    });
    v.add(&other).expect("other case");
    v.add(&Testimony::new(case, "What the witness said."))
        .expect("testimony");
    v.add(&Consent::new(
        case,
        "Only in this case",
        PartialDate("2026-11-01".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .expect("consent");
    let file = root.path().join("e.bin");
    std::fs::write(&file, vec![9u8; 10_000]).expect("write");
    let evidence = v.ingest_file(case, &file, &mut |_| {}).expect("ingest").id;
    let blob = dir.join("blobs").join(format!("{evidence}.age"));
    assert!(blob.exists());
    World {
        _root: root,
        vault: v,
        case,
        witness,
        shared,
        evidence,
        blob,
    }
}

/// Seals the case and records its delivery with a receipt, as the outbox
/// does once the receipt verifies; the bundle's note.
fn send(w: &mut World) -> BundleNote {
    send_part(w, None)
}

/// [`send`] of a part of the case (`None`: the whole).
fn send_part(w: &mut World, part: Option<temoin_bundle::Part>) -> BundleNote {
    let omct = PayloadIdentity::generate();
    let summary = w
        .vault
        .export_bundle(
            w.case,
            &ExportOptions {
                purpose: Purpose::ShareWithOmct,
                recipients: vec![omct.recipient()],
                supersedes: None,
                part,
            },
            &mut Vec::new(),
        )
        .expect("export");
    let m = summary.manifest;
    let note = BundleNote {
        id: m.bundle_id.clone(),
        sequence: m.sequence,
        purpose: "share_with_omct".into(),
        recipients: m.recipients.clone(),
        part: part.map(|p| p.code().to_owned()),
    };
    w.vault
        .record_delivery(
            w.case,
            note.clone(),
            "ab".repeat(32).as_str(),
            r#"{"list":"{\"v\":\"temoin/receipt/v1\"}","signature":"test receipt"}"#,
        )
        .expect("delivery");
    note
}

/// [`send`], then OMCT's desk's acknowledgement (accepted) recorded, as
/// the outbox does once it verifies.
fn deliver(w: &mut World) -> String {
    deliver_part(w, None)
}

/// [`deliver`] of a part of the case.
fn deliver_part(w: &mut World, part: Option<temoin_bundle::Part>) -> String {
    let note = send_part(w, part);
    let id = note.id.clone();
    w.vault
        .record_acknowledgement(
            w.case,
            note,
            "ab".repeat(32).as_str(),
            r#"{"list":"{\"v\":\"temoin/desk-ack/v1\"}","signature":"test ack"}"#,
            true,
        )
        .expect("acknowledgement");
    id
}

#[test]
fn the_servers_receipt_alone_or_a_flagged_bundle_forgets_nothing() {
    let mut w = world();
    let note = send(&mut w);
    assert_eq!(w.vault.delivered_unchanged(w.case).expect("check"), None);
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));
    w.vault
        .record_acknowledgement(w.case, note, "ab".repeat(32).as_str(), "{}", false)
        .expect("flagged");
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));
    assert_eq!(w.vault.kind_of(w.case), Some(Kind::Case));
    let log = w.vault.custody().expect("custody");
    assert!(log.iter().any(|e| e.body.action == Action::Flagged));
}

#[test]
fn after_a_receipt_the_case_its_items_and_its_own_people_are_gone_and_the_receipt_stays() {
    let mut w = world();
    assert_eq!(w.vault.delivered_unchanged(w.case).expect("check"), None);
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));

    let bundle = deliver(&mut w);
    assert_eq!(
        w.vault.delivered_unchanged(w.case).expect("check"),
        Some(bundle.clone())
    );
    let report = w.vault.forget_delivered(w.case).expect("forget");
    assert_eq!(report.bundle_id, bundle);
    assert_eq!(report.items, 4, "case, testimony, consent, evidence");
    assert_eq!(report.people, 1);

    // Gone: the case, its items (no key, no record), the evidence file,
    // the person only this case named.
    for id in [w.case, w.evidence, w.witness] {
        assert_eq!(w.vault.kind_of(id), None);
    }
    assert!(w.vault.get::<Case>(w.case).expect("get").is_none());
    assert!(!w.blob.exists());
    assert!(w.vault.list(Kind::Testimony).is_empty());
    assert!(w.vault.search("witness said", 10).is_empty());
    // Kept: the other case's person, and the receipt in the custody log.
    assert_eq!(w.vault.kind_of(w.shared), Some(Kind::Person));
    let log = w.vault.custody().expect("custody");
    let delivered = log
        .iter()
        .find(|e| e.body.action == Action::Delivered)
        .expect("the delivered entry");
    assert!(delivered
        .body
        .receipt
        .as_deref()
        .is_some_and(|r| r.contains("test receipt")));
    assert!(log
        .iter()
        .any(|e| e.body.action == Action::Delete && e.body.item == Some(w.evidence)));
    assert!(w.vault.verify().expect("verify").is_ok());

    // Still gone after a lock and unlock.
    let dir = w.vault.dir().to_owned();
    w.vault.lock();
    let v = Vault::unlock(&dir, &Passphrase::from("correct horse battery staple")).expect("unlock");
    assert_eq!(v.kind_of(w.case), None);
    assert_eq!(v.list(Kind::Case).len(), 1);
}

#[test]
fn a_case_changed_after_its_bundle_was_sealed_is_not_forgotten() {
    let mut w = world();
    deliver(&mut w);
    // An edit after the delivered bundle: not covered by the receipt.
    w.vault
        .add(&Testimony::new(w.case, "A second account, not delivered."))
        .expect("testimony");
    assert_eq!(w.vault.delivered_unchanged(w.case).expect("check"), None);
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));
    assert_eq!(w.vault.kind_of(w.case), Some(Kind::Case));
    // Editing a person the case names counts too.
    let mut w = world();
    deliver(&mut w);
    w.vault
        .update(w.witness, &Person::new("Renamed after delivery"))
        .expect("edit");
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));
}

#[test]
fn the_standing_policy_is_stored_sealed_and_off_by_default() {
    let mut w = world();
    assert!(!w.vault.forget_after_delivery().expect("policy"));
    w.vault.set_forget_after_delivery(true).expect("on");
    assert!(w.vault.forget_after_delivery().expect("policy"));
    // It lasts: locked and unlocked again, it is still on.
    let dir = w.vault.dir().to_owned();
    w.vault.lock();
    let pass = Passphrase::from("correct horse battery staple");
    let v = Vault::unlock(&dir, &pass).expect("unlock");
    assert!(v.forget_after_delivery().expect("policy"));
    // And nothing on disk names it: the setting is visible only unlocked.
    // (The probe's positive control: the same scan finds a name planted in
    // a file of the vault's folder.)
    let names: [&[u8]; 2] = [b"forget-after-delivery", b"policy/forget"];
    let scan = |dir: &std::path::Path| -> Vec<String> {
        let mut found = Vec::new();
        let mut todo = vec![dir.to_owned()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).expect("dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    let bytes = std::fs::read(&p).unwrap_or_default();
                    if names
                        .iter()
                        .any(|n| bytes.windows(n.len()).any(|w| w == *n))
                    {
                        found.push(p.display().to_string());
                    }
                }
            }
        }
        found
    };
    v.lock();
    assert_eq!(
        scan(&dir),
        Vec::<String>::new(),
        "the policy's name is on disk"
    );
    let planted = dir.join("planted-control");
    std::fs::write(&planted, b"xx policy/forget-after-delivery xx").expect("write");
    assert_eq!(scan(&dir).len(), 1, "the scan's positive control");
    std::fs::remove_file(&planted).expect("rm");
    let mut v = Vault::unlock(&dir, &pass).expect("unlock");
    v.set_forget_after_delivery(false).expect("off");
    assert!(!v.forget_after_delivery().expect("policy"));
}

#[test]
fn a_case_with_items_omct_never_received_is_not_forgotten() {
    let mut w = world();
    // A witness whose own consent does not cover sharing with OMCT: the
    // bundle leaves their testimony (and them) out.
    let shy = w.vault.add(&Person::new("Did not agree")).expect("person");
    let mut own = Consent::new(
        w.case,
        "Did not agree",
        PartialDate("2026-11-02".into()),
        vec![ConsentScope::Litigation],
    );
    own.given_by = Some(shy);
    w.vault.add(&own).expect("consent");
    let mut t = Testimony::new(w.case, "Only for the lawyer.");
    t.witness = Some(shy);
    let kept = w.vault.add(&t).expect("testimony");
    deliver(&mut w);
    let refused = w.vault.forget_delivered(w.case);
    assert!(
        matches!(refused, Err(temoin_vault::ForgetError::Withheld(n)) if n >= 1),
        "{refused:?}"
    );
    assert_eq!(w.vault.kind_of(w.case), Some(Kind::Case));
    assert_eq!(w.vault.kind_of(kept), Some(Kind::Testimony));
}

#[test]
fn the_text_sent_ahead_of_an_urgent_cases_files_forgets_nothing() {
    let mut w = world();
    // OMCT's desk accepted the records; the files are still on their way.
    deliver_part(&mut w, Some(temoin_bundle::Part::Text));
    assert_eq!(w.vault.delivered_unchanged(w.case).expect("check"), None);
    assert!(matches!(
        w.vault.forget_delivered(w.case),
        Err(temoin_vault::ForgetError::NotDelivered)
    ));
    assert!(
        w.blob.exists(),
        "an evidence file OMCT never received was forgotten"
    );
    // The whole case, files included, accepted: now it may go, even if the
    // text's acknowledgement comes after it.
    let whole = deliver(&mut w);
    deliver_part(&mut w, Some(temoin_bundle::Part::Text));
    assert_eq!(
        w.vault.delivered_unchanged(w.case).expect("check"),
        Some(whole)
    );
    w.vault.forget_delivered(w.case).expect("forget");
    assert!(!w.blob.exists());
}
