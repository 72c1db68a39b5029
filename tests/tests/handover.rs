//! End to end over loopback, with the real intake server on TLS: a vault's
//! case goes through the outbox to the intake server, the desk pulls and
//! opens it, and the receipt lands in the device's custody log. Then the
//! faults: replays, revocation, unenrolled devices, tampering at the desk,
//! a copied device reusing sequence numbers, and malformed tus requests.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use temoin_intake as server;
use temoin_sync::client::{self, Endpoint, UploadProgress};
use temoin_sync::outbox;
use temoin_tests::desk;
use temoin_vault::case::Testimony;
use temoin_vault::custody::Action;
use temoin_vault::{Passphrase, Vault};

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    endpoint: Endpoint,
    desk: PathBuf,
    server: PathBuf,
    desk_token: String,
}

async fn world(config: Option<server::Config>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let omct = temoin_tests::omct::start(&root, config).await.unwrap();
    World {
        _dir: dir,
        root,
        endpoint: omct.endpoint,
        desk: omct.desk,
        server: omct.intake,
        desk_token: omct.desk_token,
    }
}

use temoin_tests::field_vault;
use temoin_tests::omct::state_db;

async fn enroll(w: &World, v: &mut Vault, label: &str) {
    temoin_tests::omct::enroll(&w.desk, &w.endpoint, v, label)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_travels_from_vault_to_desk_with_a_receipt_in_custody() {
    let w = world(None).await;
    let (mut v, case, evidence) = field_vault(&w.root.join("vault"), 9 * 1024 * 1024);
    enroll(&w, &mut v, "field device").await;

    let s = outbox::submit(&mut v, case).unwrap();
    assert_eq!(s.status, outbox::Status::Queued);
    assert!(s.has_media);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered, vec![s.bundle_id.clone()], "{report:?}");
    let after = outbox::list(&v).unwrap();
    assert_eq!(after[0].status, outbox::Status::Delivered);
    // Two chunks of 8 MiB at most were needed, and nothing was sent twice.
    assert_eq!(after[0].progress.bytes_sent, s.size);

    // The receipt is in the custody log, verified, with the ciphertext hash.
    let last = v.custody().unwrap().pop().unwrap();
    assert_eq!(last.body.action, Action::Delivered);
    assert_eq!(last.body.sha256.as_deref(), Some(s.sha256.as_str()));
    assert!(last.body.receipt.as_deref().unwrap().contains(&s.bundle_id));
    assert!(v.verify().unwrap().is_ok());
    // The local ciphertext is gone once delivered.
    assert!(!v
        .outbox_dir()
        .unwrap()
        .join(format!("{}.tar.age", s.bundle_id))
        .exists());

    // The desk pulls, acknowledges and opens it: genuine, and the evidence
    // is the original.
    let pulled = desk::pull(&w.desk).await.unwrap();
    assert_eq!(pulled, vec![s.bundle_id.clone()]);
    let opened = desk::open(&w.desk, None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(
        opened[0].accepted(),
        "{:?} {:?}",
        opened[0].report.problems,
        opened[0].desk_problems
    );
    let m = opened[0].report.manifest.as_ref().unwrap();
    let f = m.files.iter().find(|f| f.item.is_some()).unwrap();
    // Sealed in the desk's store, read back from it: nothing of it in a
    // folder, and the bundle's encrypted file left the inbox.
    let case_at_desk = opened[0].case.unwrap();
    let mut read = Vec::new();
    desk::unlock(&w.desk)
        .unwrap()
        .read_file(case_at_desk, &f.path, &mut read)
        .unwrap();
    assert_eq!(read, evidence);
    assert!(!w.desk.join("opened").exists());
    assert_eq!(std::fs::read_dir(w.desk.join("inbox")).unwrap().count(), 0);
    // Acknowledged: the server deleted it (retention 0) and lists nothing.
    assert!(desk::pull(&w.desk).await.unwrap().is_empty());
    assert!(!w
        .server
        .join(format!("store/{}.tar.age", s.bundle_id))
        .exists());

    // An amended case goes again, naming the bundle it replaces.
    v.add(&Testimony::new(case, "A second account.")).unwrap();
    let again = outbox::submit(&mut v, case).unwrap();
    assert_eq!(again.supersedes.as_ref().unwrap().bundle_id, s.bundle_id);
    assert_eq!(again.sequence, s.sequence + 1);
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&w.desk).await.unwrap();
    let opened = desk::open(&w.desk, None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].accepted());
    assert_eq!(
        opened[0]
            .report
            .manifest
            .as_ref()
            .unwrap()
            .supersedes
            .as_ref()
            .unwrap()
            .bundle_id,
        s.bundle_id
    );
    // Filed under the same case, which shows what the new version added.
    assert_eq!(opened[0].case, Some(case_at_desk));
    let d = desk::unlock(&w.desk).unwrap();
    assert_eq!(d.cases().unwrap().len(), 1);
    let view = d.case(case_at_desk).unwrap();
    assert_eq!(view.versions.len(), 2);
    assert!(
        view.changed
            .iter()
            .any(|c| c.kind == "testimony" && c.change == "added"),
        "{:?}",
        view.changed
    );
    drop(d);

    // OMCT rotates its key; a bundle sealed before the device hears of it
    // still opens, and the next ones are sealed to the new key.
    v.add(&Testimony::new(case, "Third.")).unwrap();
    let sealed_to_old = outbox::submit(&mut v, case).unwrap();
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(&w.endpoint.pin))
        .build()
        .unwrap();
    // The list as the server serves it now, kept to be replayed.
    let before: serde_json::Value = http
        .get(format!("{}/v1/recipients", w.endpoint.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_key = desk::rotate(&w.desk).await.unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    // A server that serves the old list again (restored from a backup, or
    // taken over) does not take the device back to the retired key: the
    // old list is validly signed, but older.
    let root_key = outbox::enrollment(&v).unwrap().unwrap().root_key;
    let r = http
        .put(format!("{}/v1/desk/recipients", w.endpoint.url))
        .bearer_auth(&w.desk_token)
        .json(&serde_json::json!({
            "root_key": root_key,
            "list": before,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(
        outbox::enrollment(&v).unwrap().unwrap().recipients,
        vec![new_key.clone()]
    );
    v.add(&Testimony::new(case, "Fourth.")).unwrap();
    let sealed_to_new = outbox::submit(&mut v, case).unwrap();
    let fingerprint: temoin_bundle::PayloadRecipient = new_key.parse().unwrap();
    assert_eq!(sealed_to_new.recipients, vec![fingerprint.fingerprint()]);
    assert_ne!(sealed_to_old.recipients, sealed_to_new.recipients);
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&w.desk).await.unwrap();
    let opened = desk::open(&w.desk, None).unwrap();
    assert_eq!(opened.len(), 2);
    for o in &opened {
        assert!(o.accepted(), "{:?}", o.report.problems);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_revocation_and_strangers() {
    let w = world(None).await;
    let (mut v, case, _) = field_vault(&w.root.join("vault"), 1000);
    enroll(&w, &mut v, "field device").await;
    let s = outbox::submit(&mut v, case).unwrap();
    let path = v
        .outbox_dir()
        .unwrap()
        .join(format!("{}.tar.age", s.bundle_id));
    let kept = std::fs::read(&path).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();

    // A replayed upload of the same bundle: the same receipt, no copy.
    std::fs::write(&path, &kept).unwrap();
    let e = outbox::enrollment(&v).unwrap().unwrap();
    let device = v.device_public_key().id_hex();
    let mut fresh = UploadProgress::default();
    let d = client::upload(
        &e,
        &s.bundle_id,
        &device,
        &path,
        &s.sha256,
        &mut fresh,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(d.receipt.sha256, s.sha256);
    assert_eq!(fresh.bytes_sent, 0, "a finished upload is not sent again");
    let listed = desk::pull(&w.desk).await.unwrap();
    assert_eq!(listed.len(), 1);

    // A token used once does not enroll a second device.
    let token = temoin_tests::omct::code(&w.desk, "one").await.unwrap();
    let other = temoin_crypto::sign::DeviceKey::generate();
    temoin_tests::omct::enroll_at(
        w.endpoint.clone(),
        &token,
        &other.public().to_minisign_base64(),
    )
    .await
    .unwrap();
    let again = temoin_tests::omct::enroll_at(
        w.endpoint.clone(),
        &token,
        &other.public().to_minisign_base64(),
    )
    .await;
    assert!(
        matches!(again, Err(client::SyncError::Refused(ref m)) if m.contains("already used")),
        "{again:?}"
    );

    // A fresh token with an enrolled device's public key does not take
    // over its enrollment.
    let token = temoin_tests::omct::code(&w.desk, "thief").await.unwrap();
    let takeover = temoin_tests::omct::enroll_at(
        w.endpoint.clone(),
        &token,
        &v.device_public_key().to_minisign_base64(),
    )
    .await;
    assert!(
        matches!(takeover, Err(client::SyncError::Refused(ref m)) if m.contains("already enrolled")),
        "{takeover:?}"
    );

    // An unenrolled device (a made-up access token) is refused.
    let mut stranger = e.clone();
    stranger.access_token = "0".repeat(64);
    let mut p = UploadProgress::default();
    let r = client::upload(
        &stranger,
        &uuid::Uuid::new_v4().to_string(),
        &device,
        &path,
        &s.sha256,
        &mut p,
        &mut |_| {},
    )
    .await;
    assert!(
        matches!(r, Err(client::SyncError::Refused(ref m)) if m.contains("not enrolled")),
        "{r:?}"
    );

    // Revoked: the next submission fails with a reason to act on, and is
    // not retried on its own.
    desk::revoke(&w.desk, &device).await.unwrap();
    v.add(&Testimony::new(case, "More.")).unwrap();
    outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].1.contains("revoked"), "{report:?}");
    let report = outbox::run_once(&mut v, true).await.unwrap();
    assert!(report.delivered.is_empty() && report.failed.is_empty());

    // The revoked device can still seal a bundle and hand it over on a USB
    // stick; the desk does not take it on its word.
    desk::pull(&w.desk).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let usb = w.desk.join("usb.tar.age");
    let omct_recipient = outbox::enrollment(&v).unwrap().unwrap().recipients[0]
        .parse()
        .unwrap();
    v.export_bundle_to_file(
        case,
        &temoin_vault::export::ExportOptions {
            purpose: temoin_bundle::Purpose::ShareWithOmct,
            recipients: vec![omct_recipient],
            supersedes: None,
            part: None,
        },
        &usb,
    )
    .unwrap();
    let opened = desk::open(&w.desk, Some(&usb)).unwrap();
    assert!(!opened[0].accepted());
    assert!(
        opened[0]
            .desk_problems
            .iter()
            .any(|p| p.contains("revoked")),
        "{:?}",
        opened[0].desk_problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_flags_tampering_and_a_copied_device() {
    let w = world(None).await;
    let vault_dir = w.root.join("vault");
    let (mut v, case, _) = field_vault(&vault_dir, 1000);
    enroll(&w, &mut v, "field device").await;
    // A copy of the device's vault, as someone who seized it could make.
    v.lock();
    copy_dir(&vault_dir, &w.root.join("copy"));
    let mut v = Vault::unlock(&vault_dir, &Passphrase::from("p")).unwrap();
    let mut copy = Vault::unlock(&w.root.join("copy"), &Passphrase::from("p")).unwrap();
    let a = outbox::submit(&mut v, case).unwrap();
    let b = outbox::submit(&mut copy, case).unwrap();
    assert_eq!(a.sequence, b.sequence);
    outbox::run_once(&mut v, false).await.unwrap();
    outbox::run_once(&mut copy, false).await.unwrap();
    desk::pull(&w.desk).await.unwrap();
    let mut opened = desk::open(&w.desk, None).unwrap();
    opened.sort_by_key(|o| o.report.manifest.as_ref().unwrap().created_at.clone());
    assert_eq!(opened.len(), 2);
    let flagged: Vec<_> = opened.iter().filter(|o| !o.accepted()).collect();
    assert_eq!(flagged.len(), 1, "exactly the second of the two is flagged");
    assert!(flagged[0].desk_problems[0].contains("already used"));

    // Tampered after it reached the desk.
    v.add(&Testimony::new(case, "Later.")).unwrap();
    let c = outbox::submit(&mut v, case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&w.desk).await.unwrap();
    let file = w.desk.join(format!("inbox/{}.tar.age", c.bundle_id));
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let opened = desk::open(&w.desk, None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(!opened[0].accepted());
    assert!(opened[0]
        .report
        .problems
        .iter()
        .any(|p| p.code == temoin_bundle::ProblemCode::Damaged));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tus_requests_get_a_400_with_a_reason_and_oversize_is_refused_early() {
    let w = world(Some(server::Config {
        max_upload_bytes: 10_000,
        quota_bytes: 1 << 30,
        ..server::Config::default()
    }))
    .await;
    let (mut v, _, _) = field_vault(&w.root.join("vault"), 10);
    enroll(&w, &mut v, "field device").await;
    let e = outbox::enrollment(&v).unwrap().unwrap();
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(&w.endpoint.pin))
        .build()
        .unwrap();
    let url = format!("{}/v1/uploads", w.endpoint.url);
    let auth = format!("Bearer {}", e.access_token);
    let id = uuid::Uuid::new_v4().to_string();
    let meta = temoin_proto::tus::format_metadata(&[("bundle_id", id.as_bytes())]);
    // Headers sent, status expected, words the reason must contain.
    type Case<'a> = (Vec<(&'a str, String)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("Upload-Length", "10".into()),
                ("Upload-Metadata", meta.clone()),
            ],
            400,
            "Tus-Resumable",
        ),
        (
            vec![
                ("Tus-Resumable", "1.0.0".into()),
                ("Upload-Length", "-3".into()),
                ("Upload-Metadata", meta.clone()),
            ],
            400,
            "Upload-Length",
        ),
        (
            vec![
                ("Tus-Resumable", "1.0.0".into()),
                ("Upload-Length", "10".into()),
                ("Upload-Metadata", "bundle_id !!".into()),
            ],
            400,
            "base64",
        ),
        (
            vec![
                ("Tus-Resumable", "1.0.0".into()),
                ("Upload-Length", "10".into()),
            ],
            400,
            "bundle_id",
        ),
        (
            vec![
                ("Tus-Resumable", "0.2.2".into()),
                ("Upload-Length", "10".into()),
                ("Upload-Metadata", meta.clone()),
            ],
            412,
            "1.0.0",
        ),
        (
            vec![
                ("Tus-Resumable", "1.0.0".into()),
                ("Upload-Length", "10001".into()),
                ("Upload-Metadata", meta.clone()),
            ],
            413,
            "larger",
        ),
    ];
    for (headers, status, needle) in cases {
        let mut rq = http.post(&url).header("Authorization", &auth);
        for (k, val) in &headers {
            rq = rq.header(*k, val);
        }
        let r = rq.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{headers:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(needle), "{body}");
    }
    // A real upload, then PATCHes that are wrong.
    let r = http
        .post(&url)
        .header("Authorization", &auth)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let location = format!(
        "{}{}",
        w.endpoint.url,
        r.headers()["Location"].to_str().unwrap()
    );
    let patch = |offset: &str, checksum: Option<String>, body: &'static [u8]| {
        let mut rq = http
            .patch(&location)
            .header("Authorization", &auth)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset);
        if let Some(c) = checksum {
            rq = rq.header("Upload-Checksum", c);
        }
        rq.body(body).send()
    };
    assert_eq!(
        patch("x", None, b"12345").await.unwrap().status().as_u16(),
        400
    );
    assert_eq!(
        patch("3", None, b"12345").await.unwrap().status().as_u16(),
        409
    );
    assert_eq!(
        patch("0", Some("sha256 nope".into()), b"12345")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    let wrong = temoin_proto::tus::format_checksum(&[0u8; 32]);
    assert_eq!(
        patch("0", Some(wrong), b"12345")
            .await
            .unwrap()
            .status()
            .as_u16(),
        460
    );
    assert_eq!(
        patch("0", None, b"12345678901")
            .await
            .unwrap()
            .status()
            .as_u16(),
        413
    );
    // Nothing of the refused bodies was kept.
    let head = http
        .head(&location)
        .header("Authorization", &auth)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["Upload-Offset"], "0");
    // And a wrong pin never reaches the server.
    let mut bad = e.clone();
    bad.endpoint.pin = format!("sha256:{}", "0".repeat(64));
    let r = client::fetch_recipients(&bad).await;
    assert!(
        matches!(r, Err(client::SyncError::Untrustworthy(_))),
        "{r:?}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The server dies after moving a finished upload into its store but
/// before recording it: the next request about the upload finishes the
/// job, and the device gets its receipt for the exact bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_interrupted_while_finishing_is_finished_on_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let intake = root.join("intake");
    let init = server::init(&intake, &[], None).unwrap();
    let start = |intake: PathBuf| async move {
        let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
        let task = tokio::spawn(async move {
            let _ = server::serve(&intake, "127.0.0.1:0".parse().unwrap(), move |a| {
                let _ = tx.send(a);
            })
            .await;
        });
        (rx.await.unwrap(), task)
    };
    let (addr, task) = start(intake.clone()).await;
    let endpoint = Endpoint {
        url: format!("https://{addr}"),
        pin: init.pin.clone(),
        proxy: None,
        timeout_secs: Some(10),
    };
    desk::init(&root.join("desk"), endpoint.clone(), &init.desk_token)
        .await
        .unwrap();
    let (mut v, case, _) = field_vault(&root.join("vault"), 10_000);
    let token = temoin_tests::omct::code(&root.join("desk"), "d")
        .await
        .unwrap();
    let mut e = temoin_tests::omct::enroll_at(
        endpoint.clone(),
        &token,
        &v.device_public_key().to_minisign_base64(),
    )
    .await
    .unwrap();
    outbox::save_enrollment(&mut v, &e).unwrap();
    let s = outbox::submit(&mut v, case).unwrap();
    let bundle = v
        .outbox_dir()
        .unwrap()
        .join(format!("{}.tar.age", s.bundle_id));
    // All bytes in and acknowledged...
    let mut progress = UploadProgress::default();
    let location = client::send_tus(
        &endpoint,
        &format!("Bearer {}", e.access_token),
        &s.bundle_id,
        &bundle,
        &mut progress,
    )
    .await
    .unwrap();
    task.abort();
    let _ = task.await;
    // ...then the state rolled back to before the finish, as if the server
    // had died right after moving the file into its store.
    let upload_id = location.rsplit('/').next().unwrap().to_owned();
    let size = std::fs::metadata(&bundle).unwrap().len() as i64;
    let mut db = state_db(&intake).await.unwrap();
    sqlx::query("DELETE FROM bundles")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO uploads (upload_id, device_key_id, bundle_id, length, received, \
         created_at, touched_at) VALUES ($1, $2, $3, $4, $4, 0, 0)",
    )
    .bind(&upload_id)
    .bind(v.device_public_key().id_hex())
    .bind(&s.bundle_id)
    .bind(size)
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE usage SET stored_bytes = stored_bytes - $1, reserved_bytes = reserved_bytes + $1",
    )
    .bind(size)
    .execute(&mut db)
    .await
    .unwrap();
    assert!(intake
        .join(format!("store/{}.tar.age", s.bundle_id))
        .exists());

    let (addr, _task) = start(intake.clone()).await;
    e.endpoint.url = format!("https://{addr}");
    outbox::save_enrollment(&mut v, &e).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered, vec![s.bundle_id.clone()], "{report:?}");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(left, 0, "the finished upload's row is gone");
    let pulled = desk::pull(&root.join("desk")).await.unwrap();
    assert_eq!(pulled, vec![s.bundle_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_deliver_and_forget_the_case_goes_once_the_desk_acknowledges_it() {
    let w = world(None).await;
    let (mut v, case, _) = field_vault(&w.root.join("vault"), 64 * 1024);
    enroll(&w, &mut v, "field device").await;
    v.set_forget_after_delivery(true).unwrap();
    let s = outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered, vec![s.bundle_id.clone()], "{report:?}");
    // The server's receipt alone forgets nothing.
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));
    assert_eq!(
        outbox::list(&v).unwrap()[0].status,
        outbox::Status::Delivered
    );

    // OMCT's desk opens it and signs its acknowledgement; the server
    // relays it at the next round.
    desk::pull(&w.desk).await.unwrap();
    assert!(desk::open(&w.desk, None).unwrap()[0].accepted());
    assert_eq!(desk::relay_acks(&w.desk).await.unwrap(), 1);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.acknowledged, vec![s.bundle_id.clone()], "{report:?}");

    // The case and everything in it are gone from the vault...
    assert_eq!(v.kind_of(case), None);
    assert!(v.list(temoin_vault::Kind::Evidence).is_empty());
    assert!(v.list(temoin_vault::Kind::Testimony).is_empty());
    // ...and the receipt and the acknowledgement stay: in the outbox's
    // record and in custody.
    let after = outbox::list(&v).unwrap();
    assert_eq!(after[0].status, outbox::Status::Acknowledged);
    assert!(after[0].receipt.as_deref().unwrap().contains(&s.bundle_id));
    let ack = after[0].acknowledgement.as_ref().unwrap();
    assert_eq!(ack.verdict, temoin_proto::ack::Verdict::Accepted);
    let log = v.custody().unwrap();
    assert!(log
        .iter()
        .any(|e| e.body.action == Action::Delivered && e.body.receipt.is_some()));
    assert!(log
        .iter()
        .any(|e| e.body.action == Action::Acknowledged && e.body.receipt.is_some()));
    assert!(log
        .iter()
        .any(|e| e.body.action == Action::Delete && e.body.item == Some(case)));
    assert!(v.verify().unwrap().is_ok());
}

/// A bundle sealed for publication and carried by hand: the desk opens it,
/// accepts it, and its verdict says it is a publication, which holds the
/// working copy and no original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_opens_a_publication_and_says_what_it_is_for() {
    use temoin_bundle::{PayloadRecipient, Purpose};
    use temoin_vault::case::{Consent, ConsentScope};
    use temoin_vault::export::ExportOptions;
    use temoin_vault::PartialDate;

    let w = world(None).await;
    let (mut v, case, original) = field_vault(&w.root.join("vault"), 4096);
    enroll(&w, &mut v, "field device").await;
    v.add(&Consent::new(
        case,
        "the family",
        PartialDate("2024-03-06".into()),
        vec![ConsentScope::Publication],
    ))
    .unwrap();
    let recipients: Vec<PayloadRecipient> = outbox::checked_enrollment(&v)
        .unwrap()
        .recipients
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let file = w.root.join("stick.tar.age");
    v.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose: Purpose::Publication,
            recipients,
            supersedes: None,
            part: None,
        },
        &file,
    )
    .unwrap();

    // The desk learns of the device (and approves it) when it pulls.
    assert!(desk::pull(&w.desk).await.unwrap().is_empty());
    let opened = desk::open(&w.desk, Some(&file)).unwrap();
    assert!(
        opened[0].accepted(),
        "{:?} {:?}",
        opened[0].report.problems,
        opened[0].desk_problems
    );
    let m = opened[0].report.manifest.as_ref().unwrap();
    assert_eq!(m.purpose, Purpose::Publication);
    // The field vault's evidence is an original with no working copy: it
    // stays out, and is listed.
    assert!(m.files.iter().all(|f| f.item.is_none()));
    assert!(m.withheld.iter().any(|x| x.kind == "evidence"));
    // Exported on purpose: the bundle's files, none of them the original.
    let out = w.root.join("exported");
    desk::unlock(&w.desk)
        .unwrap()
        .export_case(opened[0].case.unwrap(), &out)
        .unwrap();
    let verdict: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("verification.json")).unwrap()).unwrap();
    assert_eq!(verdict["manifest"]["purpose"], "publication");
    assert_eq!(verdict["manifest"]["format"], "temoin-bundle/2");
    for path in walk(&out) {
        assert_ne!(std::fs::read(path).unwrap(), original);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Figures sent alone, and an urgent case's text sent ahead of its files,
/// are acknowledged by OMCT's desk like any bundle, and with "deliver and
/// forget" on, neither makes the device forget anything: figures are no
/// case's, and the text leaves the files behind. The case goes once the
/// desk acknowledges the bundle with its files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_and_an_urgent_text_are_acknowledged_and_forget_nothing() {
    use temoin_vault::case::{
        Case, Consent, ConsentScope, Participant, Person, Role, UrgentReason, Violation,
        ViolationType,
    };
    let w = world(None).await;
    let (mut v, case, _) = field_vault(&w.root.join("vault"), 64 * 1024);
    enroll(&w, &mut v, "field device").await;
    v.set_forget_after_delivery(true).unwrap();
    let victim = v.add(&Person::new("Held at the border")).unwrap();
    let mut c = v.get::<Case>(case).unwrap().unwrap().record;
    c.participants.push(Participant {
        person: victim,
        role: Role::Victim,
        note: None,
    });
    v.update(case, &c).unwrap();
    v.add(&Consent::new(
        case,
        "the family",
        temoin_vault::PartialDate("2024-03-05".into()),
        vec![
            ConsentScope::ShareWithOmct,
            ConsentScope::AnonymisedStatistics,
        ],
    ))
    .unwrap();
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
    })
    .unwrap();

    // The figures.
    let f = outbox::submit_figures(&mut v).unwrap();
    assert!(f.figures && !f.has_media);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered, vec![f.bundle_id.clone()], "{report:?}");
    desk::pull(&w.desk).await.unwrap();
    let opened = desk::open(&w.desk, None).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    assert!(opened[0].case.is_none());
    assert_eq!(
        desk::unlock(&w.desk).unwrap().figures_received().unwrap(),
        1
    );
    assert_eq!(desk::relay_acks(&w.desk).await.unwrap(), 1);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.acknowledged, vec![f.bundle_id.clone()], "{report:?}");
    assert_eq!(v.kind_of(case), Some(temoin_vault::Kind::Case));

    // The case, urgent now: its text, then the whole.
    let mut c = v.get::<Case>(case).unwrap().unwrap().record;
    c.urgent = true;
    c.urgent_reason = Some(UrgentReason::HealthEmergency);
    v.update(case, &c).unwrap();
    let whole = outbox::submit(&mut v, case).unwrap();
    let text = whole.text_ahead.clone().unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(
        report.delivered,
        vec![text.clone(), whole.bundle_id.clone()]
    );
    // The desk opens the text alone first and acknowledges it.
    desk::pull(&w.desk).await.unwrap();
    let inbox = w.desk.join("inbox");
    let opened = desk::open(&w.desk, Some(&inbox.join(format!("{text}.tar.age")))).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
    assert_eq!(desk::relay_acks(&w.desk).await.unwrap(), 1);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.acknowledged, vec![text.clone()], "{report:?}");
    assert_eq!(
        v.kind_of(case),
        Some(temoin_vault::Kind::Case),
        "the case was forgotten on its text's acknowledgement"
    );
    assert!(!v.list(temoin_vault::Kind::Evidence).is_empty());
    // Then the whole, with its files: now the case goes.
    assert!(desk::open(&w.desk, None).unwrap()[0].accepted());
    assert_eq!(desk::relay_acks(&w.desk).await.unwrap(), 1);
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.acknowledged, vec![whole.bundle_id.clone()]);
    assert_eq!(v.kind_of(case), None);
}
