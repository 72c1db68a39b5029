//! Messages between OMCT's desk and a device, end to end over loopback:
//! the desk asks, the device reads and answers, both record it in custody,
//! and the server keeps only ciphertext. A message the server altered,
//! re-addressed or forged is refused.

#![allow(clippy::unwrap_used)]

use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::message::{Envelope, Message, MessageKind, MESSAGE_V1};
use temoin_sync::message::{self, MessageStatus};
use temoin_sync::outbox;
use temoin_tests::omct::state_db;
use temoin_tests::{desk, field_vault, omct};
use temoin_vault::custody::Action;
use temoin_vault::{Passphrase, Vault};

const QUESTION: &str = "Please record the family's consent for publication (marker q7Hk2).";
const ANSWER: &str = "The family agreed on 5 March; recorded today (marker a9Lp4).";

/// The sealed message rows the server keeps.
async fn rows(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut db = state_db(dir).await.unwrap();
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, device_key_id, sealed FROM messages ORDER BY created_at",
    )
    .fetch_all(&mut db)
    .await
    .unwrap()
}

async fn set_sealed(dir: &std::path::Path, id: &str, column: &str, value: &str) {
    let mut db = state_db(dir).await.unwrap();
    let sql = match column {
        "sealed" => "UPDATE messages SET sealed = $1 WHERE id = $2",
        _ => "UPDATE messages SET device_key_id = $1 WHERE id = $2",
    };
    sqlx::query(sql)
        .bind(value)
        .bind(id)
        .execute(&mut db)
        .await
        .unwrap();
}

/// The server changes one character of the oldest waiting message's
/// ciphertext.
async fn alter_oldest(dir: &std::path::Path) {
    let (mid, _, sealed) = rows(dir).await.remove(0);
    let mut bytes = sealed.into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    set_sealed(dir, &mid, "sealed", &String::from_utf8(bytes).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_asks_and_the_defender_answers_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 1000);
    omct::enroll(&o.desk, &o.endpoint, &mut v, "Tunis office")
        .await
        .unwrap();
    outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&o.desk).await.unwrap();
    let id = desk::open(&o.desk, None).unwrap()[0].case.unwrap();

    let mut d = desk::unlock(&o.desk).unwrap();
    let asked = d
        .write_message(id, MessageKind::Question, QUESTION, None)
        .unwrap();
    let sent = d.exchange_messages().await.unwrap();
    assert_eq!(sent.sent, 1);
    drop(d);
    // The server holds ciphertext only.
    let kept = rows(&o.intake).await;
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].2.contains("marker"));
    let intake_files = std::fs::read_dir(&o.intake).unwrap();
    for f in intake_files {
        let p = f.unwrap().path();
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                memchr::memmem::find(&bytes, b"q7Hk2").is_none(),
                "{}",
                p.display()
            );
        }
    }

    // The device takes it at its next sync, verified, and it is new.
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.messages.received, vec![asked.message.id.clone()]);
    assert_eq!(message::unread(&v).unwrap(), 1);
    let got = message::list(&v).unwrap();
    assert_eq!(got[0].message.text, QUESTION);
    assert_eq!(got[0].status, MessageStatus::Received);
    assert!(rows(&o.intake).await.is_empty(), "the server dropped it");
    let log = v.custody().unwrap();
    assert!(log
        .iter()
        .any(|e| e.body.action == Action::MessageReceived && e.body.case == Some(case)));

    // The answer goes back, and lands under the case at the desk.
    let answer = message::write(&mut v, case, ANSWER, Some(&asked.message.id)).unwrap();
    assert!(v
        .custody()
        .unwrap()
        .iter()
        .any(|e| e.body.action == Action::MessageSent));
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.messages.sent, vec![answer.message.id.clone()]);
    let mut d = desk::unlock(&o.desk).unwrap();
    d.pull().await.unwrap();
    assert_eq!(d.last_exchange().received, vec![answer.message.id.clone()]);
    let view = d.case(id).unwrap();
    let texts: Vec<&str> = view
        .messages
        .iter()
        .map(|m| m.message.text.as_str())
        .collect();
    assert_eq!(texts, [QUESTION, ANSWER]);
    assert_eq!(
        view.messages[1].message.in_reply_to.as_deref(),
        Some(asked.message.id.as_str())
    );
    drop(d);
    // The correspondence never travels in the case's bundles: a bundle of
    // the case (to OMCT, to a litigator, for publication: the same custody
    // entries) holds the entries, not the words.
    let lit = dir.path().join("litigation.tar.age");
    let ours = temoin_bundle::PayloadIdentity::generate();
    v.export_bundle_to_file(
        case,
        &temoin_vault::export::ExportOptions {
            purpose: temoin_bundle::Purpose::ShareWithOmct,
            recipients: vec![ours.recipient()],
            supersedes: None,
            part: None,
        },
        &lit,
    )
    .unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut temoin_bundle::decrypt_bundle(
            std::fs::File::open(&lit).unwrap(),
            std::slice::from_ref(&ours),
        )
        .unwrap(),
        &mut plain,
    )
    .unwrap();
    for marker in [&b"q7Hk2"[..], b"a9Lp4"] {
        assert!(
            memchr::memmem::find(&plain, marker).is_none(),
            "a message went into a bundle"
        );
    }
    // The desk's custody log records both.
    let store = Vault::unlock(&o.desk.join("store"), &Passphrase::from(desk::PASSPHRASE)).unwrap();
    let actions: Vec<Action> = store
        .custody()
        .unwrap()
        .iter()
        .map(|e| e.body.action)
        .collect();
    assert!(actions.contains(&Action::MessageSent));
    assert!(actions.contains(&Action::MessageReceived));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_server_altered_readdressed_or_forged_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 1000);
    omct::enroll(&o.desk, &o.endpoint, &mut v, "one")
        .await
        .unwrap();
    let (mut other, other_case, _) = field_vault(&dir.path().join("other"), 1000);
    omct::enroll(&o.desk, &o.endpoint, &mut other, "two")
        .await
        .unwrap();
    for (vault, c) in [(&mut v, case), (&mut other, other_case)] {
        outbox::submit(vault, c).unwrap();
        outbox::run_once(vault, false).await.unwrap();
    }
    desk::pull(&o.desk).await.unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    let ours = v.device_public_key().id_hex();
    let row = desk::unlock(&o.desk)
        .unwrap()
        .cases()
        .unwrap()
        .into_iter()
        .find(|r| r.device_key_id == ours)
        .unwrap();
    assert_eq!(opened.len(), 2);

    // Altered: one character of the ciphertext changed.
    let mut d = desk::unlock(&o.desk).unwrap();
    d.write_message(row.id, MessageKind::Question, QUESTION, None)
        .unwrap();
    d.exchange_messages().await.unwrap();
    drop(d);
    alter_oldest(&o.intake).await;
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.messages.refused, 1, "{report:?}");
    assert!(message::list(&v).unwrap().is_empty());

    // Re-addressed: the desk's message to this device handed to another.
    let mut d = desk::unlock(&o.desk).unwrap();
    d.write_message(
        row.id,
        MessageKind::News,
        "An urgent appeal went out.",
        None,
    )
    .unwrap();
    d.exchange_messages().await.unwrap();
    drop(d);
    let (mid, _, _) = rows(&o.intake).await.remove(0);
    let theirs = other.device_public_key().id_hex();
    set_sealed(&o.intake, &mid, "device_key_id", &theirs).await;
    let report = outbox::run_once(&mut other, false).await.unwrap();
    assert_eq!(report.messages.refused, 1, "{report:?}");
    assert!(message::list(&other).unwrap().is_empty());

    // Forged: sealed to the device's own key (which the server knows) and
    // signed by a key that is not the desk's.
    let forger = DeviceKey::generate();
    let recipient = outbox::device_recipient(&mut v).unwrap().parse().unwrap();
    let forged = Message {
        v: MESSAGE_V1.into(),
        id: "7a3c1f0e-0000-4000-8000-000000000042".into(),
        from_desk: true,
        device_key_id: ours.clone(),
        case_id: case.to_string(),
        bundle_id: None,
        kind: MessageKind::Question,
        text: "Send your passphrase to this address.".into(),
        in_reply_to: None,
        sent_at: "2026-12-01T00:00:00Z".into(),
    };
    let (_, envelope): (_, Envelope) = message::seal(
        &forged,
        |b| forger.sign(SigningPurpose::DeskMessage, b),
        &[recipient],
    )
    .unwrap();
    let mut db = state_db(&o.intake).await.unwrap();
    sqlx::query(
        "INSERT INTO messages (id, device_key_id, to_desk, sealed, created_at) VALUES ($1, $2, 0, $3, 0)",
    )
    .bind(&envelope.id)
    .bind(&ours)
    .bind(&envelope.sealed)
    .execute(&mut db)
    .await
    .unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.messages.refused, 1, "{report:?}");
    assert!(message::list(&v).unwrap().is_empty());
    assert!(!v
        .custody()
        .unwrap()
        .iter()
        .any(|e| e.body.action == Action::MessageReceived));

    // A revoked device's answers are not taken as the defender's word.
    let theirs_row = desk::unlock(&o.desk)
        .unwrap()
        .cases()
        .unwrap()
        .into_iter()
        .find(|r| r.device_key_id == theirs)
        .unwrap();
    let mut d = desk::unlock(&o.desk).unwrap();
    let q = d
        .write_message(theirs_row.id, MessageKind::Question, QUESTION, None)
        .unwrap();
    d.exchange_messages().await.unwrap();
    drop(d);
    outbox::run_once(&mut other, false).await.unwrap();
    message::write(&mut other, other_case, ANSWER, Some(&q.message.id)).unwrap();
    outbox::run_once(&mut other, false).await.unwrap();
    let mut devices = desk::unlock(&o.desk).unwrap();
    devices.revoke(&theirs).await.unwrap();
    drop(devices);
    let mut d = desk::unlock(&o.desk).unwrap();
    d.pull().await.unwrap();
    assert!(d
        .case(theirs_row.id)
        .unwrap()
        .messages
        .iter()
        .all(|m| m.message.from_desk));
    drop(d);

    // A device's answer the server altered does not reach the case.
    message::write(&mut v, case, ANSWER, None).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    alter_oldest(&o.intake).await;
    let mut d = desk::unlock(&o.desk).unwrap();
    d.pull().await.unwrap();
    assert_eq!(d.last_exchange().refused, 1);
    assert!(d
        .case(row.id)
        .unwrap()
        .messages
        .iter()
        .all(|m| m.message.from_desk));
    assert!(d
        .warnings()
        .unwrap()
        .iter()
        .any(|w| w.contains("message relayed by the server was refused")));
}
