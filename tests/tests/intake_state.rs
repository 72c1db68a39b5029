//! The intake server's state in its database, on SQLite (the default) and
//! on PostgreSQL (a throwaway cluster from Debian's packages): one device
//! cannot starve the others, idle uploads expire and release what they
//! held, a revoked device's uploads go, enrollment attempts are limited,
//! and a server that kept its state in `state.json` moves it in once.
//!
//! Each scenario runs against a real server on loopback; the SQLite runs
//! are one test each, the PostgreSQL run plays them all on one cluster.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use temoin_crypto::sign::DeviceKey;
use temoin_intake::Config;
use temoin_sync::client::{self, Endpoint, Enrollment, UploadProgress};
use temoin_tests::omct::{serve_intake, start_intake, state_db};
use temoin_tests::postgres::Cluster;

const MIB: u64 = 1024 * 1024;

/// A server and what a test needs to speak to it as the desk and devices.
struct Omct {
    _dir: tempfile::TempDir,
    root: PathBuf,
    intake: PathBuf,
    endpoint: Endpoint,
    desk_token: String,
    http: reqwest::Client,
}

impl Omct {
    async fn start(config: Config) -> Omct {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let intake = root.join("intake");
        let (addr, init) = start_intake(&intake, Some(config)).await.unwrap();
        let endpoint = Endpoint {
            url: format!("https://{addr}"),
            pin: init.pin,
            proxy: None,
            timeout_secs: None,
        };
        temoin_tests::desk::init(&root.join("desk"), endpoint.clone(), &init.desk_token)
            .await
            .unwrap();
        Omct {
            http: http(&endpoint),
            _dir: dir,
            root,
            intake,
            endpoint,
            desk_token: init.desk_token,
        }
    }

    /// Enrolls a new device key.
    async fn device(&self, label: &str) -> Device {
        let token = temoin_tests::omct::code(&self.root.join("desk"), label)
            .await
            .unwrap();
        let key = DeviceKey::generate();
        let e = temoin_tests::omct::enroll_at(
            self.endpoint.clone(),
            &token,
            &key.public().to_minisign_base64(),
        )
        .await
        .unwrap();
        Device {
            key_id: key.public().id_hex(),
            enrollment: e,
        }
    }

    /// Starts an upload of `length` bytes; the status and the upload's URL.
    async fn create(&self, d: &Device, length: u64) -> (StatusCode, Option<String>) {
        let bundle_id = uuid::Uuid::new_v4().to_string();
        let r = self
            .http
            .post(format!("{}/v1/uploads", self.endpoint.url))
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", d.auth())
            .header("Upload-Length", length.to_string())
            .header(
                "Upload-Metadata",
                temoin_proto::tus::format_metadata(&[("bundle_id", bundle_id.as_bytes())]),
            )
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("Location")
            .map(|l| format!("{}{}", self.endpoint.url, l.to_str().unwrap()));
        (r.status(), location)
    }

    /// HEAD of an upload: the status and `Upload-Offset`.
    /// A PATCH of the upload at `url` from `offset`, its body to be given.
    fn patch(&self, d: &Device, url: &str, offset: u64) -> reqwest::RequestBuilder {
        self.http
            .patch(url)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", d.auth())
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
    }

    async fn head(&self, d: &Device, url: &str) -> (StatusCode, Option<u64>) {
        let r = self
            .http
            .head(url)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", d.auth())
            .send()
            .await
            .unwrap();
        let offset = r
            .headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (r.status(), offset)
    }

    /// The upload's offset once it is past `above` (a cut PATCH's bytes
    /// are counted when the server sees the cut), or the last one seen
    /// after 5 s.
    async fn offset_past(&self, d: &Device, url: &str, above: u64) -> Option<u64> {
        let mut offset = None;
        for _ in 0..50 {
            offset = self.head(d, url).await.1;
            if offset.is_some_and(|o| o > above) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        offset
    }

    /// A desk request; its status.
    async fn desk_post(&self, path: &str) -> StatusCode {
        self.http
            .post(format!("{}{path}", self.endpoint.url))
            .header("Authorization", format!("Bearer {}", self.desk_token))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends a bundle of `size` random bytes as `d`, through our client.
    async fn send(&self, d: &Device, size: usize) -> String {
        let bundle_id = uuid::Uuid::new_v4().to_string();
        let file = self.root.join(format!("{bundle_id}.bin"));
        let mut bytes = vec![0u8; size];
        temoin_crypto::random_bytes(&mut bytes);
        std::fs::write(&file, &bytes).unwrap();
        client::send_tus(
            &self.endpoint,
            &d.auth(),
            &bundle_id,
            &file,
            &mut UploadProgress::default(),
        )
        .await
        .unwrap();
        bundle_id
    }

    /// The `usage` row (bytes stored, bytes reserved) and the uploads in
    /// progress, read from the database itself.
    async fn usage(&self) -> (i64, i64, i64) {
        let mut db = state_db(&self.intake).await.unwrap();
        let row: (i64, i64) =
            sqlx::query_as("SELECT stored_bytes, reserved_bytes FROM usage WHERE id = 1")
                .fetch_one(&mut db)
                .await
                .unwrap();
        let uploads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
            .fetch_one(&mut db)
            .await
            .unwrap();
        (row.0, row.1, uploads)
    }
}

fn http(endpoint: &Endpoint) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(&endpoint.pin))
        .build()
        .unwrap()
}

struct Device {
    key_id: String,
    enrollment: Enrollment,
}

impl Device {
    fn auth(&self) -> String {
        format!("Bearer {}", self.enrollment.access_token)
    }
}

fn config(database: &Option<String>) -> Config {
    Config {
        max_upload_bytes: 4 * MIB,
        quota_bytes: 64 * MIB,
        max_reserved_bytes_per_device: 8 * MIB,
        database: database.clone(),
        ..Config::default()
    }
}

/// Waits until `f` holds, for at most `secs` seconds.
async fn eventually<F: std::future::Future<Output = bool>>(secs: u64, f: impl Fn() -> F) -> bool {
    for _ in 0..secs * 10 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// One device opens fifty 4 MiB uploads and sends nothing: it gets two
/// (its cap is 8 MiB), the other devices go on uploading, and when its
/// uploads have been idle past the limit they go and release their bytes.
async fn one_device_cannot_starve_the_others(database: Option<String>) {
    let o = Omct::start(Config {
        upload_idle_secs: 4,
        ..config(&database)
    })
    .await;
    let hostile = o.device("hostile").await;
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..50 {
        match o.create(&hostile, 4 * MIB).await {
            (StatusCode::CREATED, Some(url)) => held.push(url),
            (StatusCode::TOO_MANY_REQUESTS, _) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(held.len(), 2, "the device's cap holds two 4 MiB uploads");
    assert_eq!(refused, 48);
    let (_, reserved, _) = o.usage().await;
    assert_eq!(reserved as u64, 8 * MIB);

    let mut others = Vec::new();
    for i in 0..4 {
        others.push(o.device(&format!("defender {i}")).await);
    }
    let mut sent = Vec::new();
    for d in &others {
        sent.push(o.send(d, 256 * 1024).await);
    }
    let (stored, reserved, _) = o.usage().await;
    println!(
        "starvation: {} uploads completed by other devices while the hostile device held {} \
         reservations ({} refused)",
        sent.len(),
        held.len(),
        refused
    );
    assert_eq!(sent.len(), 4);
    assert_eq!(stored as u64, 4 * 256 * 1024);
    assert_eq!(
        reserved as u64,
        8 * MIB,
        "the others' reservations were released"
    );

    // Idle past 4 s: dropped by the clean-up, the bytes released.
    assert!(
        eventually(15, || async { o.usage().await.1 == 0 }).await,
        "idle uploads expire"
    );
    assert_eq!(o.usage().await.2, 0);
    for url in &held {
        assert_eq!(o.head(&hostile, url).await.0, StatusCode::NOT_FOUND);
    }
    // And the device may start again.
    assert_eq!(o.create(&hostile, 4 * MIB).await.0, StatusCode::CREATED);
}

/// Revoking a device drops its uploads and their reservations; the desk's
/// acknowledgement deletes a bundle and frees its bytes in the count.
async fn revocation_and_acknowledgement_free_what_they_held(database: Option<String>) {
    let o = Omct::start(config(&database)).await;
    let d = o.device("revoked later").await;
    let (status, url) = o.create(&d, 3 * MIB).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = url.unwrap();
    let other = o.device("stays").await;
    let bundle = o.send(&other, 100_000).await;
    assert_eq!(o.usage().await, (100_000, 3 * MIB as i64, 1));

    assert_eq!(
        o.desk_post(&format!("/v1/desk/devices/{}/revoke", d.key_id))
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(o.usage().await, (100_000, 0, 0));
    assert_eq!(o.head(&d, &url).await.0, StatusCode::FORBIDDEN);
    assert!(!o.intake.join("uploads").read_dir().unwrap().any(|_| true));

    assert_eq!(
        o.desk_post(&format!("/v1/desk/bundles/{bundle}/ack")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(o.usage().await, (0, 0, 0));
    assert!(!o.intake.join(format!("store/{bundle}.tar.age")).exists());
}

/// Enrollment is open to anyone who can reach the server: an instance
/// answers a limited number of attempts a minute.
async fn enrollment_attempts_are_limited(database: Option<String>) {
    let o = Omct::start(Config {
        max_enrollments_per_minute: 5,
        ..config(&database)
    })
    .await;
    let mut limited = 0;
    let mut refused = 0;
    // Twice the limit and one: at least one minute's allowance runs out,
    // whichever minute the attempts fall in.
    for _ in 0..11 {
        let r = o
            .http
            .post(format!("{}/v1/enroll", o.endpoint.url))
            .json(&serde_json::json!({
                "token": "0".repeat(64),
                "public_key": DeviceKey::generate().public().to_minisign_base64(),
            }))
            .send()
            .await
            .unwrap();
        match r.status() {
            StatusCode::FORBIDDEN => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let body: serde_json::Value = r.json().await.unwrap();
                assert!(body["error"]
                    .as_str()
                    .unwrap()
                    .contains("try again in a minute"));
                limited += 1
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        limited >= 1 && refused <= 10,
        "{limited} limited, {refused} refused"
    );
    // Only failed attempts count: a device with a real code still enrolls.
    o.device("while the junk goes on").await;
}

/// Two instances of the server on one database (as behind a load
/// balancer) share the enrollment limit: the attempts made through one are
/// counted at the other.
async fn the_enrollment_limit_is_shared_by_instances(database: Option<String>) {
    let o = Omct::start(Config {
        max_enrollments_per_minute: 5,
        ..config(&database)
    })
    .await;
    let second = format!("https://{}", serve_intake(&o.intake).await.unwrap());
    let attempt = |url: String| {
        let http = o.http.clone();
        async move {
            http.post(format!("{url}/v1/enroll"))
                .json(&serde_json::json!({
                    "token": "0".repeat(64),
                    "public_key": DeviceKey::generate().public().to_minisign_base64(),
                }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let minute = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60
    };
    // Within one minute of the clock (tried again if a minute ends in
    // the middle): the limit's five through the first, then the second.
    for _ in 0..3 {
        let start = minute();
        let mut first = Vec::new();
        for _ in 0..5 {
            first.push(attempt(o.endpoint.url.clone()).await);
        }
        let then = attempt(second.clone()).await;
        if minute() != start {
            tokio::time::sleep(Duration::from_secs(61)).await;
            continue;
        }
        assert!(
            first.iter().all(|s| *s == StatusCode::FORBIDDEN),
            "{first:?}"
        );
        assert_eq!(
            then,
            StatusCode::TOO_MANY_REQUESTS,
            "the second instance did not count the first's attempts"
        );
        return;
    }
    panic!("no minute of the clock held six attempts");
}

/// One device's bundles stored and not yet acknowledged count against its
/// own cap, so that it cannot fill the quota between two pulls of the desk.
async fn one_device_cannot_fill_the_quota_with_finished_bundles(database: Option<String>) {
    let o = Omct::start(Config {
        max_stored_bytes_per_device: 1024 * 1024,
        ..config(&database)
    })
    .await;
    let d = o.device("busy").await;
    for _ in 0..3 {
        o.send(&d, 300 * 1024).await;
    }
    assert_eq!(
        o.create(&d, 300 * 1024).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let other = o.device("other").await;
    o.send(&other, 300 * 1024).await;
}

/// A folder as an older server left it: `state.json` and an upload record.
fn write_legacy_state(intake: &Path, access_token: &str, device: &DeviceKey) -> (String, String) {
    let sha = |t: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(t.as_bytes()))
    };
    let key_id = device.public().id_hex();
    let stored = uuid::Uuid::new_v4().to_string();
    let gone = uuid::Uuid::new_v4().to_string();
    let in_progress = uuid::Uuid::new_v4().to_string();
    std::fs::write(
        intake.join(format!("store/{stored}.tar.age")),
        vec![7u8; 1000],
    )
    .unwrap();
    let receipt = serde_json::json!({"list": "{\"v\":1}", "signature": "s"});
    let state = serde_json::json!({
        "devices": {
            key_id.clone(): {
                "public_key": device.public().to_minisign_base64(),
                "label": "from the old days",
                "enrolled_at": "2025-01-01T00:00:00Z",
                "revoked_at": null,
                "access_token_sha256": sha(access_token),
                "recent_uploads": [],
            }
        },
        "tokens": { sha("unused"): { "label": "x", "expires_at": 4_000_000_000i64, "used": false } },
        "recipients": { "list": "{\"recipients\":[]}", "signature": "sig" },
        "root_key": "RWQroot",
        "bundles": {
            stored.clone(): {
                "device_key_id": key_id, "size": 1000, "sha256": "ab",
                "received_at": "2025-02-01T00:00:00Z", "upload_id": "a".repeat(32),
                "receipt": receipt, "acknowledged_at": null,
            },
            gone.clone(): {
                "device_key_id": key_id, "size": 5000, "sha256": "cd",
                "received_at": "2025-02-01T00:00:00Z", "upload_id": "b".repeat(32),
                "receipt": receipt, "acknowledged_at": "2025-02-02T00:00:00Z",
            },
        },
    });
    std::fs::write(
        intake.join("state.json"),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    let upload_id = "c".repeat(32);
    std::fs::write(
        intake.join(format!("uploads/{upload_id}.json")),
        serde_json::to_vec(&serde_json::json!({
            "device_key_id": key_id, "bundle_id": in_progress, "length": 20,
            "offset": 10, "created_at": 0, "done": false,
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(intake.join(format!("uploads/{upload_id}.part")), [1u8; 10]).unwrap();
    (stored, upload_id)
}

/// An older server's `state.json` and upload records move into the
/// database at the first start, and only then.
async fn an_old_json_state_is_moved_in_once(database: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let intake = dir.path().join("intake");
    let init = temoin_intake::init(&intake, &[], Some(config(&database))).unwrap();
    let device = DeviceKey::generate();
    let (stored, upload_id) = write_legacy_state(&intake, "old-access", &device);
    let addr = serve_intake(&intake).await.unwrap();
    let endpoint = Endpoint {
        url: format!("https://{addr}"),
        pin: init.pin,
        proxy: None,
        timeout_secs: None,
    };
    let http = http(&endpoint);
    assert!(!intake.join("state.json").exists());
    assert!(intake.join("state.json.imported").exists());
    assert!(!intake.join(format!("uploads/{upload_id}.json")).exists());

    // The recipient list is served as it was published.
    let list: serde_json::Value = http
        .get(format!("{}/v1/recipients", endpoint.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["signature"], "sig");
    // The device's access token still works, and its upload resumes at 10.
    let url = format!("{}/v1/uploads/{upload_id}", endpoint.url);
    let head = http
        .head(&url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", "Bearer old-access")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["Upload-Offset"], "10");
    let patch = http
        .patch(&url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", "Bearer old-access")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "10")
        .body(vec![2u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::NO_CONTENT);
    let receipt = http
        .get(format!("{url}/receipt"))
        .header("Authorization", "Bearer old-access")
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    // The desk sees the old unacknowledged bundle and the new one; the
    // acknowledged one whose bytes were gone is not listed.
    let listed: Vec<serde_json::Value> = http
        .get(format!("{}/v1/desk/bundles", endpoint.url))
        .header("Authorization", format!("Bearer {}", init.desk_token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().any(|b| b["bundle_id"] == stored.as_str()));
    // What is counted: the stored bundle and the finished one.
    let mut db = state_db(&intake).await.unwrap();
    let usage: (i64, i64) = sqlx::query_as("SELECT stored_bytes, reserved_bytes FROM usage")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(usage, (1020, 0));
    // Opened again (the server still running: the state is opened, not
    // served), it finds nothing more to move.
    let again = temoin_intake::Server::open_with(&temoin_intake::ServeSettings::for_dir(
        &intake,
        ([127, 0, 0, 1], 0).into(),
    ))
    .await;
    assert!(again.is_ok(), "{:?}", again.err());
    let usage: (i64, i64) = sqlx::query_as("SELECT stored_bytes, reserved_bytes FROM usage")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        usage,
        (1020, 0),
        "the second opening moved the old state in again"
    );
}

/// An upload whose bytes are no longer on the server (its folder restored
/// from a backup without `uploads/`, or cut short) is dropped at the next
/// HEAD or PATCH, its reservation released, and the client starts again:
/// never zeros in the bytes' place, never an upload that answers 500
/// forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_upload_whose_bytes_are_gone_starts_again() {
    let omct = Omct::start(config(&None)).await;
    let d = omct.device("a defender").await;
    for cut in ["removed", "shorter"] {
        let (status, url) = omct.create(&d, MIB).await;
        assert_eq!(status, StatusCode::CREATED);
        let url = url.unwrap();
        let r = omct
            .patch(&d, &url, 0)
            .body(vec![7u8; 256 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let id = url.rsplit('/').next().unwrap();
        let part = omct.intake.join("uploads").join(format!("{id}.part"));
        match cut {
            "removed" => std::fs::remove_file(&part).unwrap(),
            _ => std::fs::OpenOptions::new()
                .write(true)
                .open(&part)
                .unwrap()
                .set_len(100)
                .unwrap(),
        }
        let (status, _) = omct.head(&d, &url).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{cut}");
        let (_, reserved, uploads) = omct.usage().await;
        assert_eq!((reserved, uploads), (0, 0), "{cut}: the reservation stayed");
        assert!(!part.exists());
    }
    // A bundle sent through our client after that goes through.
    omct.send(&d, 300_000).await;
}

/// A PATCH without a checksum whose connection drops keeps, in the local
/// store, the bytes that arrived: the device's resume sends only the rest
/// (what `bench-upload`'s cut connection measures).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_cut_body_keeps_what_arrived() {
    let o = Omct::start(config(&None)).await;
    let d = o.device("a defender").await;
    let (status, url) = o.create(&d, 4 * MIB).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = url.unwrap();
    // 3 MiB, then the body fails: the client drops the connection.
    let pieces = futures_util::stream::iter(
        (0..3)
            .map(|_| Ok::<_, std::io::Error>(vec![9u8; MIB as usize]))
            .chain(std::iter::once(Err(std::io::Error::other("cut")))),
    );
    let r = o
        .patch(&d, &url, 0)
        .header("Content-Length", (4 * MIB).to_string())
        .body(reqwest::Body::wrap_stream(pieces))
        .send()
        .await;
    assert!(r.is_err(), "the cut PATCH was answered: {r:?}");
    let offset = o.offset_past(&d, &url, 0).await;
    assert_eq!(
        offset,
        Some(3 * MIB),
        "the bytes before the cut were not kept"
    );
}

/// An upload sent in PATCHes that start and end anywhere (a resume starts
/// wherever the last cut left it), after a body that went past its length,
/// is stored byte for byte, and its receipt names the SHA-256 of those
/// bytes: the server writes aligned pieces past the page cache and the rest
/// through it (intake/src/pieces.rs), and hashes each frame as it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_upload_in_odd_pieces_is_stored_byte_for_byte() {
    use sha2::Digest;
    let o = Omct::start(config(&None)).await;
    let d = o.device("a defender").await;
    let mut bytes = vec![0u8; 3 * MIB as usize + 12_345];
    temoin_crypto::random_bytes(&mut bytes);
    let (status, url) = o.create(&d, bytes.len() as u64).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = url.unwrap();
    // A body that goes past the upload's length, in frames: refused, and
    // nothing of it kept, though its first MiB were taken and written.
    let frames = |from: usize, to: usize, then_cut: bool| {
        let pieces: Vec<Result<Vec<u8>, std::io::Error>> = bytes[from..to]
            .chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .chain(then_cut.then(|| Err(std::io::Error::other("cut"))))
            .collect();
        reqwest::Body::wrap_stream(futures_util::stream::iter(pieces))
    };
    let mut past = bytes.clone();
    past.extend_from_slice(&[1u8; 100_000]);
    let too_long = futures_util::stream::iter(
        past.chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    // The answer may come while the client still sends, and the stream
    // then ends in an error on its side: either way, nothing is kept.
    let r = o
        .patch(&d, &url, 0)
        .body(reqwest::Body::wrap_stream(too_long))
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert_eq!(o.head(&d, &url).await.1, Some(0));
    // Then PATCHes that start and end anywhere, one of them cut half way.
    let first = 1_000_003;
    let r = o
        .patch(&d, &url, 0)
        .body(frames(0, first, false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cut = o
        .patch(&d, &url, first as u64)
        .body(frames(first, first + 2 * MIB as usize + 1, true))
        .send()
        .await;
    assert!(cut.is_err(), "the cut PATCH was answered: {cut:?}");
    let at = o.offset_past(&d, &url, first as u64).await.unwrap() as usize;
    assert!(at > first, "nothing of the cut PATCH was kept");
    let r = o
        .patch(&d, &url, at as u64)
        .body(bytes[at..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "PATCH at {at}");
    let store = o.intake.join("store");
    let stored: Vec<_> = std::fs::read_dir(&store).unwrap().collect();
    assert_eq!(stored.len(), 1);
    let path = stored.into_iter().next().unwrap().unwrap().path();
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "the stored bundle is not the bytes sent"
    );
    let r = o
        .http
        .get(format!("{url}/receipt"))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", d.auth())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    assert!(
        r.text().await.unwrap().contains(&sha),
        "the receipt does not name the bytes' SHA-256"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_device_cannot_starve_the_others() {
    one_device_cannot_starve_the_others(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_revocation_and_acknowledgement_free_what_they_held() {
    revocation_and_acknowledgement_free_what_they_held(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_enrollment_attempts_are_limited() {
    enrollment_attempts_are_limited(None).await;
}

/// On SQLite, uploads are locked within the process: a second server on
/// the same folder is refused at start, with a message that says why,
/// rather than let two processes write one upload at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_second_server_on_the_folder_is_refused() {
    let o = Omct::start(config(&None)).await;
    let second = tokio::time::timeout(Duration::from_secs(20), serve_intake(&o.intake))
        .await
        .expect("a second server on the same SQLite folder started and kept running");
    let err = second.expect_err("a second server on the same SQLite folder started");
    assert!(
        err.to_string().contains("already serves") && err.to_string().contains("PostgreSQL"),
        "{err}"
    );
    // The first still answers.
    let d = o.device("a defender").await;
    let (status, _) = o.create(&d, 1024).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_device_cannot_fill_the_quota_with_finished_bundles() {
    one_device_cannot_fill_the_quota_with_finished_bundles(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_old_json_state_is_moved_in_once() {
    an_old_json_state_is_moved_in_once(None).await;
}

/// Sealed messages kept for their reader only, and dropped once it has
/// them: a device sees the desk's messages for it and no other's, the desk
/// sees the devices'; a retry with the same id and bytes is answered the
/// same, another message under a used id is refused.
async fn messages_wait_for_their_reader(database: Option<String>) {
    use temoin_proto::message::Envelope;
    let o = Omct::start(config(&database)).await;
    let (a, b) = (o.device("a").await, o.device("b").await);
    let url = |p: &str| format!("{}{p}", o.endpoint.url);
    let desk = format!("Bearer {}", o.desk_token);
    let envelope = |id: &str, device: &str| Envelope {
        id: id.into(),
        device_key_id: device.into(),
        sealed: "c2VhbGVk".into(),
    };
    let id = "7a3c1f0e-0000-4000-8000-000000000001";
    for expected in [201, 204] {
        let r = o
            .http
            .post(url("/v1/desk/messages"))
            .header("Authorization", &desk)
            .json(&envelope(id, &a.key_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expected);
    }
    let mut other = envelope(id, &a.key_id);
    other.sealed = "b3RoZXI=".into();
    let r = o
        .http
        .post(url("/v1/desk/messages"))
        .header("Authorization", &desk)
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let fetch = |d: &Device| {
        o.http
            .get(url("/v1/messages"))
            .header("Authorization", d.auth())
            .send()
    };
    let for_a: Vec<Envelope> = fetch(&a).await.unwrap().json().await.unwrap();
    assert_eq!(for_a.len(), 1);
    let for_b: Vec<Envelope> = fetch(&b).await.unwrap().json().await.unwrap();
    assert!(for_b.is_empty(), "another device's message was handed out");
    // b cannot drop a's message; a can.
    for (d, left) in [(&b, 1), (&a, 0)] {
        o.http
            .delete(url(&format!("/v1/messages/{id}")))
            .header("Authorization", d.auth())
            .send()
            .await
            .unwrap();
        let now: Vec<Envelope> = fetch(&a).await.unwrap().json().await.unwrap();
        assert_eq!(now.len(), left);
    }
    // A device's message reaches the desk under that device, whatever it
    // claims.
    let r = o
        .http
        .post(url("/v1/messages"))
        .header("Authorization", b.auth())
        .json(&envelope("7a3c1f0e-0000-4000-8000-000000000002", &a.key_id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let at_desk: Vec<Envelope> = o
        .http
        .get(url("/v1/desk/messages"))
        .header("Authorization", &desk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_desk.len(), 1);
    assert_eq!(at_desk[0].device_key_id, b.key_id);
    let r = o
        .http
        .post(url("/v1/messages"))
        .header("Authorization", b.auth())
        .json(&serde_json::json!({"id": "../x", "sealed": "c2VhbGVk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_messages_wait_for_their_reader() {
    messages_wait_for_their_reader(None).await;
}

/// An officer's desk sees the bundles received since it was added and not
/// yet fetched by it; a bundle acknowledged by the desk is kept until every
/// officer has it, then freed; a removed officer's token stops working;
/// the device registry the desk publishes is handed to officers as it was
/// given.
async fn officers_fetch_every_bundle_before_it_goes(database: Option<String>) {
    use sha2::Digest;
    let o = Omct::start(config(&database)).await;
    let d = o.device("field").await;
    let before = o.send(&d, 50_000).await;
    let url = |p: &str| format!("{}{p}", o.endpoint.url);
    let desk = format!("Bearer {}", o.desk_token);
    let officer_id = "0b6f9d2e-1111-4000-8000-000000000001";
    let token = "officer-token-for-the-state-tests";
    let r = o
        .http
        .post(url("/v1/desk/officers"))
        .header("Authorization", &desk)
        .json(&temoin_proto::desk::OfficerRequest {
            officer_id: officer_id.into(),
            label: "Brussels".into(),
            token_sha256: hex::encode(sha2::Sha256::digest(token.as_bytes())),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let officer = format!("Bearer {token}");
    let listing = || async {
        let r = o
            .http
            .get(url("/v1/officer/bundles"))
            .header("Authorization", &officer)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    };
    // Only what came after the officer was added.
    let (status, text) = listing().await;
    assert_eq!(status, 200);
    assert!(
        !text.contains(&before),
        "a bundle sealed before the officer existed"
    );
    let bundle = o.send(&d, 60_000).await;
    assert!(listing().await.1.contains(&bundle));
    // The desk's token is not an officer's, and the other way round.
    let r = o
        .http
        .get(url("/v1/officer/bundles"))
        .header("Authorization", &desk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = o
        .http
        .get(url("/v1/desk/bundles"))
        .header("Authorization", &officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Acknowledged by the desk: kept, since the officer lacks it.
    assert_eq!(
        o.desk_post(&format!("/v1/desk/bundles/{bundle}/ack")).await,
        StatusCode::NO_CONTENT
    );
    assert!(o.intake.join(format!("store/{bundle}.tar.age")).exists());
    // Nor does the clean-up take it (which every server runs at start).
    let server = temoin_intake::Server::open_with(&temoin_intake::ServeSettings::for_dir(
        &o.intake,
        ([127, 0, 0, 1], 0).into(),
    ))
    .await
    .unwrap();
    temoin_intake::collect_garbage(&server).await;
    assert!(
        o.intake.join(format!("store/{bundle}.tar.age")).exists(),
        "the clean-up deleted a bundle an officer lacks"
    );
    let bytes = o
        .http
        .get(url(&format!("/v1/officer/bundles/{bundle}")))
        .header("Authorization", &officer)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 60_000);
    let r = o
        .http
        .post(url(&format!("/v1/officer/bundles/{bundle}/fetched")))
        .header("Authorization", &officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(!listing().await.1.contains(&bundle));
    // Now everyone has it: freed.
    assert!(!o.intake.join(format!("store/{bundle}.tar.age")).exists());
    // The registry, as the desk gave it.
    let signed = temoin_proto::SignedList {
        list: "{\"v\":\"temoin/device-registry/v1\"}".into(),
        signature: "untrusted comment: x\nRW==".into(),
    };
    let r = o
        .http
        .put(url("/v1/desk/registry"))
        .header("Authorization", &desk)
        .json(&signed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let got: temoin_proto::SignedList = o
        .http
        .get(url("/v1/officer/registry"))
        .header("Authorization", &officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, signed);
    // Removed: the token no longer opens anything.
    let r = o
        .http
        .delete(url(&format!("/v1/desk/officers/{officer_id}")))
        .header("Authorization", &desk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(listing().await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_officers_fetch_every_bundle_before_it_goes() {
    officers_fetch_every_bundle_before_it_goes(None).await;
}

/// Every scenario again on PostgreSQL, one database each, one cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_the_same_scenarios() {
    let pg = Cluster::start().unwrap_or_else(|e| panic!("{e}"));
    one_device_cannot_starve_the_others(Some(pg.create("starve").unwrap())).await;
    revocation_and_acknowledgement_free_what_they_held(Some(pg.create("revoke").unwrap())).await;
    enrollment_attempts_are_limited(Some(pg.create("enroll").unwrap())).await;
    the_enrollment_limit_is_shared_by_instances(Some(pg.create("shared").unwrap())).await;
    one_device_cannot_fill_the_quota_with_finished_bundles(Some(pg.create("stored").unwrap()))
        .await;
    an_old_json_state_is_moved_in_once(Some(pg.create("legacy").unwrap())).await;
    messages_wait_for_their_reader(Some(pg.create("messages").unwrap())).await;
    officers_fetch_every_bundle_before_it_goes(Some(pg.create("officers").unwrap())).await;
}
