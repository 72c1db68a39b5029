//! tus interop with implementations Témoin did not write, from the npm
//! registry (tests/interop; `make test` installs them with `npm ci`):
//! tus-js-client uploads a sealed bundle to Témoin's intake server, and
//! Témoin's client uploads one to @tus/server. Both ways, the bytes that
//! arrive are the bundle's.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use temoin_bundle::{PayloadRecipient, Purpose};
use temoin_intake as server;
use temoin_sync::client::{self, Endpoint, UploadProgress};
use temoin_tests::desk;
use temoin_vault::case::{Case, Consent, ConsentScope};
use temoin_vault::export::ExportOptions;
use temoin_vault::{KdfChoice, PartialDate, Passphrase, Vault};

fn interop_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
    assert!(
        dir.join("node_modules/tus-js-client").is_dir() && dir.join("node_modules/@tus/server").is_dir(),
        "the npm packages for the interop tests are missing: run `npm ci --prefix tests/interop` (make test does)"
    );
    dir
}

fn sha(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A vault with a case that may go to OMCT, sealed to `recipient` into
/// `out`, with 3 MiB of evidence so that uploads take several chunks.
fn sealed_bundle(dir: &Path, recipient: &str, out: &Path) -> (Vault, String) {
    let mut v = Vault::create(
        &dir.join("vault"),
        &Passphrase::from("p"),
        KdfChoice::Minimum,
    )
    .unwrap();
    let case = v.add(&Case::new("c")).unwrap();
    v.add(&Consent::new(
        case,
        "w",
        PartialDate("2024".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .unwrap();
    let mut bytes = vec![0u8; 3 * 1024 * 1024];
    temoin_crypto::random_bytes(&mut bytes);
    std::fs::write(dir.join("e.bin"), bytes).unwrap();
    v.ingest_file(case, &dir.join("e.bin"), &mut |_| {})
        .unwrap();
    let r: PayloadRecipient = recipient.parse().unwrap();
    let summary = v
        .export_bundle_to_file(
            case,
            &ExportOptions {
                purpose: Purpose::ShareWithOmct,
                recipients: vec![r],
                supersedes: None,
                part: None,
            },
            out,
        )
        .unwrap();
    (v, summary.manifest.bundle_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_uploads_to_our_intake_server() {
    let interop = interop_dir();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let omct = temoin_tests::omct::start(root, None).await.unwrap();
    let endpoint = omct.endpoint.clone();
    let intake = omct.intake.clone();
    let omct = omct.recipient;
    let bundle = root.join("b.tar.age");
    let (v, bundle_id) = sealed_bundle(root, &omct, &bundle);
    let token = temoin_tests::omct::code(&root.join("desk"), "js")
        .await
        .unwrap();
    let e = temoin_tests::omct::enroll_at(
        endpoint.clone(),
        &token,
        &v.device_public_key().to_minisign_base64(),
    )
    .await
    .unwrap();

    let out = tokio::task::spawn_blocking({
        let interop = interop.clone();
        let bundle = bundle.clone();
        let cert = intake.join("tls/cert.pem");
        let url = format!("{}/v1/uploads", endpoint.url);
        let token = e.access_token.clone();
        let id = bundle_id.clone();
        move || {
            Command::new("node")
                .arg(interop.join("tus-upload.mjs"))
                .args([&url, &token, &id])
                .arg(&bundle)
                .arg(&cert)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "tus-js-client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server stored exactly the bundle and signed a receipt for it,
    // which the desk pulls and opens as genuine.
    let stored = intake.join("store").join(format!("{bundle_id}.tar.age"));
    assert_eq!(sha(&stored), sha(&bundle));
    desk::pull(&root.join("desk")).await.unwrap();
    let opened = desk::open(&root.join("desk"), None).unwrap();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].accepted(), "{:?}", opened[0].report.problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_uploads_to_tus_server_from_npm() {
    let interop = interop_dir();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Borrow an intake folder's certificate and key for @tus/server, so our
    // client can pin it.
    let tls = root.join("tls-source");
    let init = server::init(&tls, &[], None).unwrap();
    let store = root.join("tus-files");
    std::fs::create_dir_all(&store).unwrap();
    let mut node = Command::new("node")
        .arg(interop.join("tus-server.mjs"))
        .arg(&store)
        .arg(tls.join("tls/cert.pem"))
        .arg(tls.join("tls/key.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(node.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("listening ").unwrap().to_owned();
    let endpoint = Endpoint {
        url: format!("https://127.0.0.1:{port}"),
        pin: init.pin,
        proxy: None,
        timeout_secs: Some(30),
    };
    let bundle = root.join("b.tar.age");
    let (_v, bundle_id) = sealed_bundle(
        root,
        &temoin_bundle::PayloadIdentity::generate()
            .recipient()
            .to_string(),
        &bundle,
    );

    let mut progress = UploadProgress::default();
    let location = client::send_tus(
        &endpoint,
        "Bearer unused",
        &bundle_id,
        &bundle,
        &mut progress,
    )
    .await;
    let _ = node.kill();
    let _ = node.wait();
    let location = location.unwrap();
    let id = location.rsplit('/').next().unwrap();
    assert_eq!(sha(&store.join(id)), sha(&bundle));
    assert_eq!(progress.offset, std::fs::metadata(&bundle).unwrap().len());
    assert_eq!(progress.bytes_sent, progress.offset);
}
