//! Several officers at OMCT's desk, over loopback: an officer's desk with
//! its own passphrase and age key joins OMCT's desk; a device then seals
//! its bundle to both, each desk opens it with its own key, and the server
//! deletes it only once both have it. The officer's desk takes devices
//! only from the registry OMCT's root key signed: a registry the server
//! forged or replayed is refused, a revocation reaches it, and removing
//! the officer ends its access.

#![allow(clippy::unwrap_used)]

use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::SignedList;
use temoin_sync::outbox;
use temoin_tests::omct::state_db;
use temoin_tests::{desk, field_vault, omct};
use temoin_vault::{KdfChoice, Passphrase};

async fn published_registry(intake: &std::path::Path) -> String {
    let mut db = state_db(intake).await.unwrap();
    sqlx::query_scalar("SELECT body FROM published WHERE name = 'device-registry'")
        .fetch_one(&mut db)
        .await
        .unwrap()
}

async fn set_registry(intake: &std::path::Path, body: &str) {
    let mut db = state_db(intake).await.unwrap();
    sqlx::query("UPDATE published SET body = $1 WHERE name = 'device-registry'")
        .bind(body)
        .execute(&mut db)
        .await
        .unwrap();
}

async fn deleted(intake: &std::path::Path, bundle_id: &str) -> bool {
    let mut db = state_db(intake).await.unwrap();
    let at: Option<i64> = sqlx::query_scalar("SELECT deleted_at FROM bundles WHERE bundle_id = $1")
        .bind(bundle_id)
        .fetch_one(&mut db)
        .await
        .unwrap();
    at.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_officer_opens_every_bundle_with_a_key_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, case, _) = field_vault(&dir.path().join("vault"), 10_000);
    let e = omct::enroll(&o.desk, &o.endpoint, &mut v, "Tunis office")
        .await
        .unwrap();
    let _ = e;
    let device_key = v.device_public_key().id_hex();
    desk::pull(&o.desk).await.unwrap();

    // Brussels makes a desk of its own: its recipient, the same each time
    // until it joins; it cannot be opened as a desk yet.
    let brussels = dir.path().join("brussels");
    let pass = Passphrase::from("the Brussels officer's own passphrase");
    let recipient = desk::Desk::create_officer(&brussels, &pass, KdfChoice::Minimum).unwrap();
    assert!(recipient.starts_with("age1"));
    assert_ne!(recipient, o.recipient);
    assert_eq!(
        desk::Desk::create_officer(&brussels, &pass, KdfChoice::Minimum).unwrap(),
        recipient
    );
    let err = desk::Desk::unlock(&brussels, &pass)
        .unwrap_err()
        .to_string();
    assert!(err.contains("has not joined"), "{err}");

    // OMCT's desk adds it; a code naming another root key is refused.
    let code = desk::unlock(&o.desk)
        .unwrap()
        .add_officer("Brussels", &recipient)
        .await
        .unwrap();
    let mut forged = code.clone();
    forged.root_key = DeviceKey::generate().public().to_minisign_base64();
    let err = desk::Desk::join(&brussels, &pass, &forged)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not verify"), "{err}");
    drop(desk::Desk::join(&brussels, &pass, &code).await.unwrap());
    let officer = desk::unlock(&o.desk).unwrap().officers().unwrap();
    assert_eq!(officer.len(), 1);
    assert_eq!(officer[0].recipient, recipient);

    // The device takes the new list at its next round and seals to both.
    outbox::run_once(&mut v, true).await.unwrap();
    let sub = outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, true).await.unwrap();

    // OMCT's desk opens and acknowledges it; the server keeps it for
    // Brussels.
    assert_eq!(desk::pull(&o.desk).await.unwrap().len(), 1);
    let opened = desk::open(&o.desk, None).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].desk_problems);
    assert!(!deleted(&o.intake, &sub.bundle_id).await);

    // Brussels takes the registry, fetches and opens it with its own key;
    // the server lets it go only once Brussels judged it (next pull).
    let mut b = desk::Desk::unlock(&brussels, &pass).unwrap();
    assert!(b.is_officer().unwrap());
    assert_eq!(b.pull().await.unwrap(), vec![sub.bundle_id.clone()]);
    let opened = b.open(None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(
        opened[0].accepted(),
        "{:?} {:?}",
        opened[0].report.problems,
        opened[0].desk_problems
    );
    let cases = b.cases().unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].device_label.as_deref(), Some("Tunis office"));
    assert!(!deleted(&o.intake, &sub.bundle_id).await);
    assert!(b.pull().await.unwrap().is_empty(), "fetched twice");
    // Acknowledged by OMCT's desk and judged by every officer: gone.
    assert!(deleted(&o.intake, &sub.bundle_id).await);

    // An officer's desk acknowledges nothing, and what only OMCT's desk
    // does is refused there.
    assert_eq!(b.relay_acks().await.unwrap(), 0);
    for err in [
        b.enroll("x", 24).await.unwrap_err(),
        b.revoke(&device_key).await.unwrap_err(),
        b.rotate().await.unwrap_err(),
        b.write_message(cases[0].id, desk::MessageKind::Question, "?", None)
            .unwrap_err(),
        b.add_officer("x", &recipient).await.unwrap_err(),
    ] {
        assert!(
            err.to_string().contains("an officer's desk cannot"),
            "{err}"
        );
    }
    drop(b);

    // A device that enrolled since OMCT's desk last published its registry:
    // its bundle waits at Brussels (no verdict, not reported fetched), and
    // is opened once the registry names it.
    let (mut v2, case2, _) = field_vault(&dir.path().join("vault2"), 5_000);
    omct::enroll(&o.desk, &o.endpoint, &mut v2, "Sfax office")
        .await
        .unwrap();
    outbox::run_once(&mut v2, true).await.unwrap();
    let sub2 = outbox::submit(&mut v2, case2).unwrap();
    outbox::run_once(&mut v2, true).await.unwrap();
    let mut b = desk::Desk::unlock(&brussels, &pass).unwrap();
    assert_eq!(b.pull().await.unwrap(), vec![sub2.bundle_id.clone()]);
    let opened = b.open(None).unwrap();
    assert!(
        opened[0].waiting && !opened[0].accepted(),
        "{:?}",
        opened[0].desk_problems
    );
    assert!(
        b.open(None).unwrap().is_empty(),
        "opened again with the same registry"
    );
    drop(b);
    desk::pull(&o.desk).await.unwrap();
    assert!(desk::open(&o.desk, None).unwrap()[0].accepted());
    let mut b = desk::Desk::unlock(&brussels, &pass).unwrap();
    b.pull().await.unwrap();
    assert!(
        !deleted(&o.intake, &sub2.bundle_id).await,
        "let go before Brussels judged it"
    );
    let opened = b.open(None).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].desk_problems);
    b.pull().await.unwrap();
    assert!(deleted(&o.intake, &sub2.bundle_id).await);
    drop(b);

    // The server forges a registry (another key signs it): refused, and
    // the devices stay as OMCT's desk approved them.
    let genuine = published_registry(&o.intake).await;
    let held: SignedList = serde_json::from_str(&genuine).unwrap();
    let forged_text = held.list.replace("Tunis office", "Planted device");
    let forged = SignedList {
        signature: DeviceKey::generate()
            .sign(SigningPurpose::DeviceRegistry, forged_text.as_bytes()),
        list: forged_text,
    };
    set_registry(&o.intake, &serde_json::to_string(&forged).unwrap()).await;
    let err = desk::Desk::unlock(&brussels, &pass)
        .unwrap()
        .pull()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not verify"), "{err}");
    set_registry(&o.intake, &genuine).await;

    // OMCT's desk revokes the first device: Brussels learns it at its next
    // pull; the server replaying the older registry afterwards is refused,
    // at Brussels and at an officer's desk added after the revocation.
    desk::revoke(&o.desk, &device_key).await.unwrap();
    let mut b = desk::Desk::unlock(&brussels, &pass).unwrap();
    b.pull().await.unwrap();
    let row = b
        .devices()
        .unwrap()
        .into_iter()
        .find(|r| r.key_id == device_key)
        .unwrap();
    assert_eq!(row.status, "revoked");
    drop(b);
    let tunis = dir.path().join("tunis");
    let t_recipient = desk::Desk::create_officer(&tunis, &pass, KdfChoice::Minimum).unwrap();
    let t_code = desk::unlock(&o.desk)
        .unwrap()
        .add_officer("Tunis", &t_recipient)
        .await
        .unwrap();
    drop(desk::Desk::join(&tunis, &pass, &t_code).await.unwrap());
    set_registry(&o.intake, &genuine).await;
    for d in [&brussels, &tunis] {
        let err = desk::Desk::unlock(d, &pass)
            .unwrap()
            .pull()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("older device registry"), "{err}");
    }

    // Removed, the officer's token no longer works.
    let id = officer[0].officer_id.clone();
    desk::unlock(&o.desk)
        .unwrap()
        .remove_officer(&id)
        .await
        .unwrap();
    let err = desk::Desk::unlock(&brussels, &pass)
        .unwrap()
        .pull()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an officer's token"), "{err}");
    // Tunis is still there.
    assert_eq!(desk::unlock(&o.desk).unwrap().officers().unwrap().len(), 1);
}
