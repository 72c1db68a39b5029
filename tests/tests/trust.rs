//! Trust rests on OMCT's desk, not on the intake server: a server that was
//! taken over, played for real on loopback (our server, with its database
//! changed behind its back the way its operator could), and each lie
//! failing safe. The enrollment code names OMCT's key; the desk approves
//! devices on a proof the server cannot make; revocations and sequence
//! numbers are kept at the desk.

#![allow(clippy::unwrap_used)]

use temoin_proto::code::{root_fingerprint, EnrollmentCode};
use temoin_sync::client::{self, SyncError, ROOT_MISMATCH};
use temoin_sync::outbox;
use temoin_tests::desk;
use temoin_tests::field_vault;
use temoin_tests::omct::{self, code, enroll, enroll_at, state_db};
use temoin_vault::case::Testimony;

/// A server whose operator put its own root key and recipient list in
/// place of OMCT's (here: a server set up by another "desk"). A device
/// with OMCT's code refuses it and keeps nothing, so nothing can be sealed
/// to the impostor's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_handing_out_its_own_root_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let genuine = omct::start(&dir.path().join("genuine"), None)
        .await
        .unwrap();
    let impostor = omct::start(&dir.path().join("impostor"), None)
        .await
        .unwrap();
    let good = code(&genuine.desk, "defender").await.unwrap();
    // The impostor's server, under the code's OMCT key: a token valid on
    // that server (its operator can make one), its address and pin.
    let theirs = code(&impostor.desk, "defender").await.unwrap();
    let lying = EnrollmentCode {
        servers: theirs.servers.clone(),
        pin: theirs.pin.clone(),
        token: theirs.token.clone(),
        ..good.clone()
    };
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    let key = v.device_public_key().to_minisign_base64();
    let recipient = outbox::device_recipient(&mut v).unwrap();
    let refused = client::enroll_with_code(&lying, &key, &recipient, None).await;
    match refused {
        Err(SyncError::Untrustworthy(m)) => assert_eq!(m, ROOT_MISMATCH),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(outbox::enrollment(&v).unwrap().is_none());
    let sealed = outbox::submit(&mut v, case);
    assert!(
        matches!(sealed, Err(outbox::OutboxError::NotEnrolled)),
        "{sealed:?}"
    );
    // The same code on the genuine server enrolls.
    let e = client::enroll_with_code(&good, &key, &recipient, None)
        .await
        .unwrap();
    assert_eq!(
        e.root_fingerprint.as_deref(),
        Some(hex::encode(good.root_fingerprint).as_str())
    );
    assert_eq!(
        hex::encode(root_fingerprint(&e.root_key)),
        hex::encode(good.root_fingerprint)
    );
    // Enrolled: a code naming another OMCT key (the impostor's own, valid
    // on its server) cannot move the device there.
    outbox::save_enrollment(&mut v, &e).unwrap();
    let moved = outbox::check_code_for(&v, &theirs);
    assert!(
        matches!(moved, Err(outbox::OutboxError::OtherRootKey)),
        "{moved:?}"
    );
    assert!(outbox::check_code_for(&v, &good).is_ok());
}

/// The device gives the desk an age recipient of its own at enrollment,
/// bound to its key by its proof. A server that puts its own recipient in
/// the device's row (so that what the desk seals for that device is
/// readable by the server) gets the device not approved: its bundles are
/// flagged "unknown device" until OMCT enrolls it again. Untouched, the
/// desk keeps the recipient the device sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_recipient_the_server_swapped_is_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut honest, _, _) = field_vault(&dir.path().join("honest"), 100);
    let (mut swapped, case, _) = field_vault(&dir.path().join("swapped"), 100);
    enroll(&o.desk, &o.endpoint, &mut honest, "honest")
        .await
        .unwrap();
    enroll(&o.desk, &o.endpoint, &mut swapped, "swapped")
        .await
        .unwrap();
    let theirs = temoin_bundle::PayloadIdentity::generate()
        .recipient()
        .to_string();
    let mut db = state_db(&o.intake).await.unwrap();
    let changed = sqlx::query("UPDATE devices SET recipient = $1 WHERE key_id = $2")
        .bind(&theirs)
        .bind(swapped.device_public_key().id_hex())
        .execute(&mut db)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    outbox::submit(&mut swapped, case).unwrap();
    outbox::run_once(&mut swapped, false).await.unwrap();
    desk::pull(&o.desk).await.unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(
        opened[0]
            .desk_problems
            .iter()
            .any(|p| p.contains("unknown device")),
        "{:?}",
        opened[0].desk_problems
    );
    let rows = desk::devices(&o.desk).unwrap();
    let row = |id: &str| rows.iter().find(|r| r.key_id == id).unwrap().clone();
    let honest_row = row(&honest.device_public_key().id_hex());
    assert_eq!(honest_row.status, "approved");
    assert_eq!(
        honest_row.recipient,
        Some(outbox::device_recipient(&mut honest).unwrap())
    );
    let swapped_row = row(&swapped.device_public_key().id_hex());
    assert_eq!(swapped_row.status, "unknown");
    assert_eq!(swapped_row.recipient, None);
}

/// A device enrolled before codes (its root key taken on the server's
/// word) sends nothing until it enrolls again with a code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_enrolled_without_a_code_is_told_to_enroll_again() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    let mut e = enroll(&o.desk, &o.endpoint, &mut v, "old").await.unwrap();
    e.root_fingerprint = None;
    outbox::save_enrollment(&mut v, &e).unwrap();
    let sealed = outbox::submit(&mut v, case);
    let Err(why) = sealed else {
        panic!("sealed without a checked key")
    };
    assert!(why.to_string().contains("enroll again"), "{why}");
}

/// The server enrolls a key of its own (with a real token, since it sees
/// tokens, but without the code's secret) and sends bundles signed with
/// it: the desk never approves the key and flags what it signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_the_server_enrolled_itself_is_flagged_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut real, real_case, _) = field_vault(&dir.path().join("real"), 100);
    enroll(&o.desk, &o.endpoint, &mut real, "defender")
        .await
        .unwrap();
    // The operator's device: a token the desk issued, any secret.
    let (mut forger, forged_case, _) = field_vault(&dir.path().join("forger"), 100);
    let mut stolen = code(&o.desk, "someone else").await.unwrap();
    stolen.secret = [0x42; 32];
    let e = enroll_at(
        o.endpoint.clone(),
        &stolen,
        &forger.device_public_key().to_minisign_base64(),
    )
    .await
    .unwrap();
    outbox::save_enrollment(&mut forger, &e).unwrap();

    outbox::submit(&mut real, real_case).unwrap();
    outbox::submit(&mut forger, forged_case).unwrap();
    assert_eq!(
        outbox::run_once(&mut real, false)
            .await
            .unwrap()
            .delivered
            .len(),
        1
    );
    assert_eq!(
        outbox::run_once(&mut forger, false)
            .await
            .unwrap()
            .delivered
            .len(),
        1
    );
    assert_eq!(desk::pull(&o.desk).await.unwrap().len(), 2);
    let opened = desk::open(&o.desk, None).unwrap();
    let forger_id = forger.device_public_key().id_hex();
    for b in &opened {
        let from = b.report.manifest.as_ref().unwrap().device.key_id.clone();
        if from == forger_id {
            assert!(!b.accepted());
            assert!(
                b.desk_problems.iter().any(|p| p.contains("unknown device")),
                "{:?}",
                b.desk_problems
            );
        } else {
            assert!(
                b.accepted(),
                "{:?} {:?}",
                b.report.problems,
                b.desk_problems
            );
        }
    }
    let rows = desk::devices(&o.desk).unwrap();
    let status = |id: &str| {
        rows.iter()
            .find(|r| r.key_id == id)
            .map(|r| r.status.clone())
    };
    assert_eq!(status(&forger_id).as_deref(), Some("unknown"));
    assert_eq!(
        status(&real.device_public_key().id_hex()).as_deref(),
        Some("approved")
    );
}

/// The desk revokes a device; the server's operator undoes it on the
/// server. The device's next bundle reaches the desk, which flags it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_the_server_ignores_is_enforced_at_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    enroll(&o.desk, &o.endpoint, &mut v, "lost phone")
        .await
        .unwrap();
    let id = v.device_public_key().id_hex();
    outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&o.desk).await.unwrap();
    assert!(desk::open(&o.desk, None).unwrap()[0].accepted());

    desk::revoke(&o.desk, &id).await.unwrap();
    let mut db = state_db(&o.intake).await.unwrap();
    sqlx::query("UPDATE devices SET revoked_at = NULL")
        .execute(&mut db)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    v.add(&Testimony::new(case, "Sealed after the revocation."))
        .unwrap();
    outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered.len(), 1, "the lying server took it");
    desk::pull(&o.desk).await.unwrap();
    let opened = desk::open(&o.desk, None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(!opened[0].accepted());
    assert!(
        opened[0]
            .desk_problems
            .iter()
            .any(|p| p.contains("revoked")),
        "{:?}",
        opened[0].desk_problems
    );
    assert_eq!(desk::devices(&o.desk).unwrap()[0].status, "revoked");
    // The device hears it: flagged, with the desk's reason.
    desk::relay_acks(&o.desk).await.unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    // Both bundles' acknowledgements: the first accepted, the second not.
    assert_eq!(report.acknowledged.len(), 2, "{report:?}");
    let last = outbox::list(&v)
        .unwrap()
        .into_iter()
        .max_by_key(|s| s.sequence)
        .unwrap();
    assert_eq!(last.status, outbox::Status::Flagged);
    assert!(
        last.flag_reason
            .as_deref()
            .unwrap_or_default()
            .contains("revoked"),
        "{last:?}"
    );
}

/// The server receipts a bundle and drops it: the desk's register shows
/// the missing sequence number as a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_the_server_dropped_shows_as_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    enroll(&o.desk, &o.endpoint, &mut v, "defender")
        .await
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..3 {
        v.add(&Testimony::new(case, format!("Part {i}."))).unwrap();
        sent.push(outbox::submit(&mut v, case).unwrap());
        let report = outbox::run_once(&mut v, false).await.unwrap();
        assert_eq!(report.delivered.len(), 1);
    }
    // The operator deletes the second bundle (its row and its bytes).
    let dropped = &sent[1].bundle_id;
    let mut db = state_db(&o.intake).await.unwrap();
    sqlx::query("DELETE FROM bundles WHERE bundle_id = $1")
        .bind(dropped)
        .execute(&mut db)
        .await
        .unwrap();
    std::fs::remove_file(o.intake.join(format!("store/{dropped}.tar.age"))).unwrap();
    assert_eq!(desk::pull(&o.desk).await.unwrap().len(), 2);
    desk::open(&o.desk, None).unwrap();
    let rows = desk::devices(&o.desk).unwrap();
    assert_eq!(rows[0].last_sequence, Some(3));
    assert_eq!(rows[0].gaps, vec![sent[1].sequence]);
}

/// The server signs a receipt and drops the bundle, with deliver-and-forget
/// on: the device keeps the case, since the desk never acknowledged it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_without_the_desks_acknowledgement_forgets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    enroll(&o.desk, &o.endpoint, &mut v, "defender")
        .await
        .unwrap();
    v.set_forget_after_delivery(true).unwrap();
    let s = outbox::submit(&mut v, case).unwrap();
    assert_eq!(
        outbox::run_once(&mut v, false)
            .await
            .unwrap()
            .delivered
            .len(),
        1
    );
    let mut db = state_db(&o.intake).await.unwrap();
    sqlx::query("DELETE FROM bundles")
        .execute(&mut db)
        .await
        .unwrap();
    assert!(desk::pull(&o.desk).await.unwrap().is_empty());
    for _ in 0..2 {
        outbox::run_once(&mut v, true).await.unwrap();
    }
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));
    let now = outbox::list(&v).unwrap();
    assert_eq!(now[0].bundle_id, s.bundle_id);
    assert_eq!(now[0].status, outbox::Status::Delivered);
}

/// The server relays an acknowledgement it made itself (signed with a key
/// of its own): the device does not take it and forgets nothing. When it
/// withholds the desk's real one, the desk's file does the same work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_withheld_acknowledgement_and_the_desks_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    enroll(&o.desk, &o.endpoint, &mut v, "defender")
        .await
        .unwrap();
    v.set_forget_after_delivery(true).unwrap();
    let s = outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&o.desk).await.unwrap();
    assert!(desk::open(&o.desk, None).unwrap()[0].accepted());

    // Forged: the right content, the server's own signature.
    let ack_file = dir.path().join("genuine-ack.json");
    desk::unlock(&o.desk)
        .unwrap()
        .ack_file(&s.bundle_id, &ack_file)
        .unwrap();
    let genuine: temoin_proto::SignedList =
        serde_json::from_slice(&std::fs::read(&ack_file).unwrap()).unwrap();
    let own = temoin_crypto::sign::DeviceKey::generate();
    let forged = temoin_proto::SignedList {
        signature: own.sign(
            temoin_crypto::sign::SigningPurpose::DeskAck,
            genuine.list.as_bytes(),
        ),
        list: genuine.list.clone(),
    };
    let mut db = state_db(&o.intake).await.unwrap();
    sqlx::query("UPDATE bundles SET desk_ack = $1")
        .bind(serde_json::to_string(&forged).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert!(report.acknowledged.is_empty(), "{report:?}");
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));
    // A genuine acknowledgement of another bundle of this device, relayed
    // for this one: the case changed and was sent again.
    v.add(&Testimony::new(case, "Added later.")).unwrap();
    let second = outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    sqlx::query("UPDATE bundles SET desk_ack = $1 WHERE bundle_id = $2")
        .bind(serde_json::to_string(&genuine).unwrap())
        .bind(&second.bundle_id)
        .execute(&mut db)
        .await
        .unwrap();
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert!(report.acknowledged.is_empty(), "{report:?}");
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));
    let status_of = |v: &temoin_vault::Vault, id: &str| {
        outbox::list(v)
            .unwrap()
            .into_iter()
            .find(|s| s.bundle_id == id)
            .unwrap()
            .status
    };
    assert_eq!(status_of(&v, &second.bundle_id), outbox::Status::Delivered);

    // Withheld (the desk's acknowledgement never relayed): the desk writes
    // it as a file, the device imports it.
    let file = dir.path().join("ack.json");
    desk::ack_file(&o.desk, &s.bundle_id, &file).unwrap();
    let (id, accepted) = outbox::import_ack(&mut v, &std::fs::read(&file).unwrap()).unwrap();
    assert_eq!((id.as_str(), accepted), (s.bundle_id.as_str(), true));
    assert_eq!(status_of(&v, &s.bundle_id), outbox::Status::Acknowledged);
    // The first bundle no longer covers the case as it is: kept.
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));
    // A file that is not the desk's is refused.
    let forged_file = serde_json::to_vec(&forged).unwrap();
    assert!(outbox::import_ack(&mut v, &forged_file).is_err());
}

/// A bundle handed over on a USB stick: the desk opens the file, writes
/// its acknowledgement, and the device records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_on_a_usb_stick_is_acknowledged_with_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    let e = enroll(&o.desk, &o.endpoint, &mut v, "defender")
        .await
        .unwrap();
    // The desk key arrives with the list (published at desk init).
    assert!(e.desk_key.is_some());
    // Known to the desk only once it saw the device's proof.
    desk::pull(&o.desk).await.unwrap();
    let usb = dir.path().join("stick.tar.age");
    let summary = v
        .export_bundle_to_file(
            case,
            &temoin_vault::export::ExportOptions {
                purpose: temoin_bundle::Purpose::ShareWithOmct,
                recipients: vec![e.recipients[0].parse().unwrap()],
                supersedes: None,
                part: None,
            },
            &usb,
        )
        .unwrap();
    let opened = desk::open(&o.desk, Some(&usb)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].desk_problems);
    let file = dir.path().join("ack.json");
    desk::ack_file(&o.desk, &summary.manifest.bundle_id, &file).unwrap();
    let (id, accepted) = outbox::import_ack(&mut v, &std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(id, summary.manifest.bundle_id);
    assert!(accepted);
    let log = v.custody().unwrap();
    assert!(log.iter().any(|e| {
        e.body.action == temoin_vault::custody::Action::Acknowledged
            && e.body.bundle.as_ref().is_some_and(|b| b.id == id)
    }));
}

/// OMCT rotates the server's receipt key: a new key is made beside the
/// old, the desk names both in a list signed with the root key, and the
/// server restarts with the new one; the device takes the list before it
/// sends and believes the new key's receipts. Once the desk names the new
/// key alone, a server signing with the old one (a copy of the old key in
/// other hands, say) is not believed, and nothing is lost: the submission
/// waits for a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_key_is_rotated_through_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let intake = dir.path().join("intake");
    let init = temoin_intake::init(&intake, &[], None).unwrap();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut settings = temoin_intake::ServeSettings::for_dir(&intake, loopback);
    let server = omct::Stoppable::start(settings.clone()).unwrap();
    // Restarted on the same address, as a service is.
    settings.listen = server.addr;
    let endpoint = temoin_sync::client::Endpoint {
        url: format!("https://{}", server.addr),
        pin: init.pin.clone(),
        proxy: None,
        timeout_secs: None,
    };
    let desk_dir = dir.path().join("desk");
    desk::init(&desk_dir, endpoint.clone(), &init.desk_token)
        .await
        .unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 100);
    let e = enroll(&desk_dir, &endpoint, &mut v, "defender")
        .await
        .unwrap();
    let old_file = intake.join("receipt.key");
    let old = temoin_intake::receipt_public_key(&old_file).unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![old.as_str()]);

    let new_file = intake.join("receipt-2.key");
    let new = temoin_intake::new_receipt_key(&new_file).unwrap();
    assert_ne!(new, old);
    let again = temoin_intake::new_receipt_key(&new_file);
    assert!(
        matches!(again, Err(temoin_intake::SetupError::KeyFileExists(_))),
        "a new key never goes over a file: {again:?}"
    );
    assert_eq!(temoin_intake::receipt_public_key(&new_file).unwrap(), new);
    let named = desk::unlock(&desk_dir)
        .unwrap()
        .set_receipt_keys(&[old.clone(), new.clone()])
        .await
        .unwrap();
    assert_eq!(named, vec![old.clone(), new.clone()]);
    server.stop();
    let mut rotated = settings.clone();
    rotated.receipt_key = new_file.clone();
    let server = omct::Stoppable::start(rotated).unwrap();
    let first = outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(
        report.delivered,
        vec![first.bundle_id.clone()],
        "{report:?}"
    );
    let e = outbox::enrollment(&v).unwrap().unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![old.as_str(), new.as_str()]);
    // Signed with the new key, which the device knows only from the list.
    let stored = outbox::list(&v).unwrap();
    let receipt = stored
        .iter()
        .find(|s| s.bundle_id == first.bundle_id)
        .and_then(|s| s.receipt.clone())
        .unwrap();
    let receipt: temoin_proto::SignedList = serde_json::from_str(&receipt).unwrap();
    let signer = |key: &str| {
        temoin_crypto::sign::DevicePublicKey::from_minisign(key)
            .unwrap()
            .verify(
                temoin_crypto::sign::SigningPurpose::Receipt,
                receipt.list.as_bytes(),
                &receipt.signature,
            )
            .is_ok()
    };
    assert!(signer(&new) && !signer(&old));

    // The old key retired: the desk names the new one alone, and a server
    // still signing with the old key is not believed.
    desk::unlock(&desk_dir)
        .unwrap()
        .set_receipt_keys(std::slice::from_ref(&new))
        .await
        .unwrap();
    server.stop();
    let server = omct::Stoppable::start(settings.clone()).unwrap();
    let second = outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert!(report.delivered.is_empty(), "{report:?}");
    let failed = outbox::list(&v)
        .unwrap()
        .into_iter()
        .find(|s| s.bundle_id == second.bundle_id)
        .unwrap();
    assert_eq!(failed.status, outbox::Status::Failed);
    assert!(
        failed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("receipt key OMCT named")),
        "{:?}",
        failed.last_error
    );
    let e = outbox::enrollment(&v).unwrap().unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![new.as_str()]);

    // Back on the new key. That bundle was stored, and its receipt signed,
    // under the old key: without the old key in previous_keys the server
    // signs nothing again, and the device waits.
    server.stop();
    let mut rotated = settings.clone();
    rotated.receipt_key = new_file;
    rotated.previous_receipt_keys = vec!["not a key".into()];
    let refused = omct::Stoppable::start(rotated.clone());
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("previous_keys")),
        "{refused:?}"
    );
    rotated.previous_receipt_keys = vec![];
    let server = omct::Stoppable::start(rotated.clone()).unwrap();
    outbox::retry(&mut v, &second.bundle_id).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert!(
        report.delivered.is_empty() && report.waiting == 1,
        "{report:?}"
    );
    // With the old key named, a stored receipt that another key signed
    // (the database written behind the server's back) is not signed
    // again either; the one the old key signed is.
    server.stop();
    rotated.previous_receipt_keys = vec![old.clone()];
    let server = omct::Stoppable::start(rotated).unwrap();
    let mut db = state_db(&intake).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT receipt FROM bundles WHERE bundle_id = $1")
        .bind(&second.bundle_id)
        .fetch_one(&mut db)
        .await
        .unwrap();
    let mut forged: temoin_proto::SignedList = serde_json::from_str(&stored).unwrap();
    forged.signature = temoin_crypto::sign::DeviceKey::generate().sign(
        temoin_crypto::sign::SigningPurpose::Receipt,
        forged.list.as_bytes(),
    );
    let set_receipt = "UPDATE bundles SET receipt = $1 WHERE bundle_id = $2";
    let forged = serde_json::to_string(&forged).unwrap();
    behind_the_server(&mut db, set_receipt, &forged, &second.bundle_id).await;
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert!(report.delivered.is_empty(), "{report:?}");
    // The receipt as the old key signed it, in a row that says otherwise
    // (another time of arrival): nothing signed either.
    behind_the_server(&mut db, set_receipt, &stored, &second.bundle_id).await;
    let received_at: String =
        sqlx::query_scalar("SELECT received_at FROM bundles WHERE bundle_id = $1")
            .bind(&second.bundle_id)
            .fetch_one(&mut db)
            .await
            .unwrap();
    let set_arrival = "UPDATE bundles SET received_at = $1 WHERE bundle_id = $2";
    let id = &second.bundle_id;
    behind_the_server(&mut db, set_arrival, "2020-01-01T00:00:00Z", id).await;
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert!(report.delivered.is_empty(), "{report:?}");
    behind_the_server(&mut db, set_arrival, &received_at, id).await;
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert_eq!(
        report.delivered,
        vec![second.bundle_id.clone()],
        "{report:?}"
    );
    server.stop();
}

/// Runs `sql` with `value` and `bundle_id` on the server's database, as
/// its operator could behind its back.
async fn behind_the_server(
    db: &mut sqlx::AnyConnection,
    sql: &'static str,
    value: &str,
    bundle_id: &str,
) {
    sqlx::query(sql)
        .bind(value.to_owned())
        .bind(bundle_id.to_owned())
        .execute(db)
        .await
        .unwrap();
}

/// A desk names only keys, and at least one: anything else is refused
/// before it is signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_key_that_is_not_a_key_is_refused_at_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let published = || async {
        let mut db = state_db(&o.intake).await.unwrap();
        sqlx::query_scalar::<_, String>("SELECT body FROM published WHERE name = 'recipients'")
            .fetch_one(&mut db)
            .await
            .unwrap()
    };
    let before = published().await;
    let refused = desk::unlock(&o.desk)
        .unwrap()
        .set_receipt_keys(&["age1notakey".to_owned()])
        .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("temoin-intake receipt-key")),
        "{refused:?}"
    );
    let none = desk::unlock(&o.desk).unwrap().set_receipt_keys(&[]).await;
    assert!(
        none.as_ref()
            .is_err_and(|e| e.to_string().contains("at least one receipt key")),
        "{none:?}"
    );
    assert_eq!(before, published().await, "nothing was published");
}

/// Enrolling again, through a server that hands out a list from before
/// OMCT retired a receipt key (restored from an old backup, or taken
/// over), does not roll the device back: what it learned from newer lists
/// under the same root key stays.
#[test]
fn enrolling_again_keeps_what_newer_lists_said() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _, _) = field_vault(&dir.path().join("vault"), 10);
    let root = temoin_crypto::sign::DeviceKey::generate()
        .public()
        .to_minisign_base64();
    let key = || {
        temoin_crypto::sign::DeviceKey::generate()
            .public()
            .to_minisign_base64()
    };
    let (retired, current) = (key(), key());
    let enrolled =
        |receipt_key: &str, at: &str, recipient: &str, keys: Vec<String>| client::Enrollment {
            endpoint: temoin_sync::client::Endpoint {
                url: "https://127.0.0.1:9".into(),
                pin: String::new(),
                proxy: None,
                timeout_secs: None,
            },
            access_token: "t".into(),
            receipt_key: receipt_key.to_owned(),
            root_key: root.clone(),
            recipients: vec![recipient.to_owned()],
            recipients_issued_at: Some(at.to_owned()),
            root_fingerprint: Some("ab".repeat(32)),
            desk_key: None,
            receipt_keys: keys,
        };
    outbox::save_new_enrollment(
        &mut v,
        &enrolled(
            &retired,
            "2026-12-02T00:00:00Z",
            "age1new",
            vec![current.clone()],
        ),
    )
    .unwrap();
    let mut again = enrolled(&retired, "2026-12-01T00:00:00Z", "age1old", vec![]);
    again.access_token = "t2".into();
    again.endpoint.url = "https://127.0.0.1:10".into();
    outbox::save_new_enrollment(&mut v, &again).unwrap();
    let e = outbox::enrollment(&v).unwrap().unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![current.as_str()]);
    assert_eq!(e.recipients, vec!["age1new".to_owned()]);
    // The rest is the new enrollment's.
    assert_eq!(e.access_token, "t2");
    assert_eq!(e.endpoint.url, "https://127.0.0.1:10");
    // A newer list from the new enrollment is taken as a sync takes it.
    let newest = key();
    outbox::save_new_enrollment(
        &mut v,
        &enrolled(
            &retired,
            "2026-12-03T00:00:00Z",
            "age1newest",
            vec![newest.clone()],
        ),
    )
    .unwrap();
    let e = outbox::enrollment(&v).unwrap().unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![newest.as_str()]);
    assert_eq!(e.recipients, vec!["age1newest".to_owned()]);
    // Under another root key nothing is kept: the new enrollment stands
    // as it is (whether it may replace the old is the code's check).
    let mut other = enrolled(&retired, "2026-12-01T00:00:00Z", "age1other", vec![]);
    other.root_key = key();
    outbox::save_new_enrollment(&mut v, &other).unwrap();
    let e = outbox::enrollment(&v).unwrap().unwrap();
    assert_eq!(e.accepted_receipt_keys(), vec![retired.as_str()]);
    assert_eq!(e.recipients, vec!["age1other".to_owned()]);
}
