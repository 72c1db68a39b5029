//! `temoin-intake serve --config FILE` as an administrator runs it: the real
//! binary, on loopback, with its parts where the file says, and with the
//! flags given beside the file winning over it.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_temoin-intake");
const MIB: u64 = 1024 * 1024;
/// `bundle_id` in tus metadata: a UUID, base64.
const METADATA: &str = "bundle_id MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx";

/// `temoin-intake init --dir DIR`; the certificate's pin.
fn init(dir: &Path) -> String {
    let out = Command::new(BIN)
        .args(["--json", "init", "--dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["pin"].as_str().unwrap().to_owned()
}

/// A running server, killed when dropped.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `temoin-intake serve ARGS`: the running server once it says
/// where it listens, or everything it wrote to stderr if it stopped.
fn serve(args: &[&str]) -> Result<Running, String> {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    match line.trim().strip_prefix("Intake server listening on ") {
        Some(url) => Ok(Running {
            url: url.to_owned(),
            child,
        }),
        None => {
            let status = child.wait().unwrap();
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            assert!(!status.success(), "stopped without an error: {line:?}");
            Err(err)
        }
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The certificate is checked below by its pin, as devices do.
    reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .tls_info(true)
        .build()
        .unwrap()
}

/// Starts an upload of `length` bytes with a token no device holds: the
/// size limit is checked before the token.
async fn create(url: &str, length: u64) -> reqwest::StatusCode {
    client()
        .post(format!("{url}/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", "Bearer not-a-device")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", METADATA)
        .send()
        .await
        .unwrap()
        .status()
}

/// The server listens on loopback, over TLS.
fn on_loopback(server: &Running) {
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
}

/// `OPTIONS /v1/uploads`, which answers without authentication.
async fn options(server: &Running) -> reqwest::Response {
    client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/uploads", server.url),
        )
        .send()
        .await
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn the_server_runs_with_its_parts_where_the_config_file_says() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let dir = root.join("intake");
    let pin = init(&dir);
    // Everything but config.json and uploads/ moved away from the folder,
    // so that the server can only start from where the file says.
    let secrets = root.join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    std::fs::rename(dir.join("tls"), secrets.join("tls")).unwrap();
    std::fs::rename(dir.join("receipt.key"), secrets.join("receipt.key")).unwrap();
    std::fs::rename(dir.join("store"), root.join("bundles")).unwrap();
    std::fs::create_dir(root.join("db")).unwrap();
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndir = \"intake\"\nlisten = \"127.0.0.1:0\"\n\
             [tls]\ncert = \"{s}/tls/cert.pem\"\nkey = \"{s}/tls/key.pem\"\n\
             [receipt]\nkey = \"{s}/receipt.key\"\n\
             [database]\nurl = \"sqlite://{db}/state.db?mode=rwc\"\n\
             [storage]\nkind = \"local\"\npath = \"{bundles}\"\n\
             [limits]\nmax_upload_mib = 1\n",
            s = path(&secrets),
            db = path(&root.join("db")),
            bundles = path(&root.join("bundles")),
        ),
    )
    .unwrap();

    let server = serve(&["--config", path(&config)]).unwrap_or_else(|e| panic!("{e}"));
    on_loopback(&server);

    let r = options(&server).await;
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["Tus-Resumable"], "1.0.0");
    let served = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .map(temoin_proto::pin::pin_of);
    assert_eq!(
        served.as_deref(),
        Some(pin.as_str()),
        "not the pinned certificate"
    );

    // The file's limit, not init's 4096 MiB: one byte over is refused,
    // and exactly the limit goes on to the token check.
    assert_eq!(
        create(&server.url, MIB + 1).await,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        create(&server.url, MIB).await,
        reqwest::StatusCode::UNAUTHORIZED
    );
    // The state went to the file's database, not the folder's default.
    assert!(root.join("db/state.db").exists());
    assert!(!dir.join("state.db").exists());
}

#[tokio::test]
async fn flags_given_beside_the_file_win() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("intake");
    init(&dir);
    let config = tmp.path().join("config.toml");
    // Neither the folder nor the address in the file can be served: a
    // TEST-NET-1 address (RFC 5737) is on no interface here.
    std::fs::write(
        &config,
        "[server]\ndir = \"/nonexistent/intake\"\nlisten = \"192.0.2.1:8443\"\n",
    )
    .unwrap();
    let server = serve(&[
        "--config",
        path(&config),
        "--dir",
        path(&dir),
        "--listen",
        "127.0.0.1:0",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    on_loopback(&server);
    let r = options(&server).await;
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
}

#[test]
fn a_config_file_with_an_unknown_field_stops_the_server_saying_where() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("intake");
    init(&dir);
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndir = \"{}\"\nlisten = \"127.0.0.1:0\"\n\n[limits]\nmax_upload_mb = 10\n",
            path(&dir)
        ),
    )
    .unwrap();
    let err = serve(&["--config", path(&config)]).err().unwrap();
    assert!(err.contains(path(&config)), "{err}");
    assert!(err.contains("max_upload_mb"), "{err}");
    assert!(err.contains("line 6"), "{err}");
}

#[test]
fn a_missing_config_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("absent.toml");
    let err = serve(&["--config", path(&config)]).err().unwrap();
    assert!(err.contains(path(&config)), "{err}");
}

#[test]
fn a_store_on_no_folder_is_refused_before_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("intake");
    init(&dir);
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndir = \"{}\"\nlisten = \"127.0.0.1:0\"\n[storage]\npath = \"missing\"\n",
            path(&dir)
        ),
    )
    .unwrap();
    let err = serve(&["--config", path(&config)]).err().unwrap();
    assert!(err.contains("bundle store"), "{err}");
    assert!(err.contains(path(&dir.join("missing"))), "{err}");
}
