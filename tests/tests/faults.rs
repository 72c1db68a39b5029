//! Bad networks and bad servers. A small chaos TCP proxy between the
//! device and the real intake server resets connections at random points
//! and adds delay: every bundle still arrives exactly once, byte for byte.
//! Servers that answer garbage, hang, or close mid-response (speaking TLS
//! with the pinned certificate, so only the HTTP layer is hostile) leave a
//! clear failure and nothing marked delivered.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use temoin_intake as server;
use temoin_sync::client::{self, Endpoint, SyncError, UploadProgress};
use temoin_sync::outbox;
use temoin_tests::desk;
use temoin_vault::{ItemId, Vault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Forwards TCP to `upstream`; each connection is delayed by up to 30 ms and,
/// five times in six, cut (both ways, abruptly) after a random number of
/// bytes from the client, up to `max_cut`. Counts the cuts.
async fn chaos_proxy(upstream: SocketAddr, max_cut: usize, cuts: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let cuts = cuts.clone();
            tokio::spawn(async move {
                let (delay, cut_at) = {
                    let mut r = rand::thread_rng();
                    let cut = r.gen_range(0..6) != 0;
                    (r.gen_range(0..30), cut.then(|| r.gen_range(0..max_cut)))
                };
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let down = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut sent = 0usize;
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if let Some(limit) = cut_at {
                        if sent + n > limit {
                            let _ = sw.write_all(&buf[..limit - sent]).await;
                            cuts.fetch_add(1, Ordering::Relaxed);
                            down.abort();
                            return; // both halves dropped: the connection is reset
                        }
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                let _ = sw.shutdown().await;
                let _ = down.await;
            });
        }
    });
    addr
}

fn vault_with_case(dir: &Path, evidence: usize) -> (Vault, ItemId) {
    let (v, case, _) = temoin_tests::field_vault(dir, evidence);
    (v, case)
}

/// OMCT on loopback, and a direct endpoint that gives up after 10 s (the
/// proxies below cut and stall connections on purpose).
async fn omct_with_short_timeouts(root: &Path) -> (temoin_tests::omct::Omct, Endpoint) {
    let omct = temoin_tests::omct::start(root, None).await.unwrap();
    let direct = Endpoint {
        timeout_secs: Some(10),
        ..omct.endpoint.clone()
    };
    (omct, direct)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_chaos_proxy_every_bundle_arrives_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (omct, direct) = omct_with_short_timeouts(root).await;
    let addr = omct.addr;
    let cuts = Arc::new(AtomicUsize::new(0));
    let proxy = chaos_proxy(addr, 1024 * 1024, cuts.clone()).await;
    let via_proxy = Endpoint {
        url: format!("https://{proxy}"),
        ..direct.clone()
    };

    let (mut v, case) = vault_with_case(&root.join("vault"), 2 * 1024 * 1024);
    let token = temoin_tests::omct::code(&root.join("desk"), "d")
        .await
        .unwrap();
    // Enrollment itself goes through the chaos: retried until it lands.
    let mut enrolled = None;
    let mut used_token = false;
    for _ in 0..50 {
        match temoin_tests::omct::enroll_at(
            via_proxy.clone(),
            &token,
            &v.device_public_key().to_minisign_base64(),
        )
        .await
        {
            Ok(e) => {
                enrolled = Some(e);
                break;
            }
            // The server may have taken the token before the answer was cut.
            Err(SyncError::Refused(m)) if m.contains("already used") => {
                used_token = true;
                break;
            }
            Err(_) => {}
        }
    }
    let e = match (enrolled, used_token) {
        (Some(e), _) => e,
        (None, true) => {
            let t = temoin_tests::omct::code(&root.join("desk"), "d")
                .await
                .unwrap();
            temoin_tests::omct::enroll_at(
                direct.clone(),
                &t,
                &v.device_public_key().to_minisign_base64(),
            )
            .await
            .map(|mut e| {
                e.endpoint = via_proxy.clone();
                e
            })
            .unwrap()
        }
        (None, false) => panic!("never enrolled through the proxy"),
    };
    outbox::save_enrollment(&mut v, &e).unwrap();

    let mut expected = Vec::new();
    for i in 0..8 {
        v.add(&temoin_vault::case::Testimony::new(
            case,
            format!("account {i}"),
        ))
        .unwrap();
        expected.push(outbox::submit(&mut v, case).unwrap());
    }
    let mut rounds = 0;
    while outbox::list(&v)
        .unwrap()
        .iter()
        .any(|s| s.status != outbox::Status::Delivered)
    {
        rounds += 1;
        assert!(
            rounds < 300,
            "not delivered after {rounds} rounds: {:?}",
            outbox::list(&v).unwrap()
        );
        let report = outbox::run_once(&mut v, true).await.unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
    }
    assert!(
        cuts.load(Ordering::Relaxed) > 0,
        "the proxy never cut a connection"
    );
    eprintln!(
        "{} connections cut; all {} bundles delivered in {rounds} rounds",
        cuts.load(Ordering::Relaxed),
        expected.len()
    );

    // Exactly once each, byte for byte (the desk checks each download
    // against the hash the server recorded; here against the device's).
    let pulled = desk::pull(&root.join("desk")).await.unwrap();
    assert_eq!(pulled.len(), expected.len());
    for s in &expected {
        let file = root
            .join("desk/inbox")
            .join(format!("{}.tar.age", s.bundle_id));
        let bytes = std::fs::read(file).unwrap();
        use sha2::Digest;
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), s.sha256);
    }
    let stored: Vec<PathBuf> = std::fs::read_dir(root.join("intake/store"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        stored.is_empty(),
        "acknowledged bundles are deleted: {stored:?}"
    );
    // Every delivery is in custody once.
    let delivered = v
        .custody()
        .unwrap()
        .into_iter()
        .filter(|e| e.body.action == temoin_vault::custody::Action::Delivered)
        .count();
    assert_eq!(delivered, expected.len());
}

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Garbage,
    Hang,
    CloseMidResponse,
    FakeReceipt(u64),
}

/// A TLS server with the intake's certificate that answers badly.
async fn hostile_server(intake: &Path, mode: Hostile) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<_> =
        rustls::pki_types::CertificateDer::pem_file_iter(intake.join("tls/cert.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(intake.join("tls/key.pem")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                match mode {
                    Hostile::Garbage => {
                        let _ = tls
                            .write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n")
                            .await;
                    }
                    Hostile::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                    Hostile::CloseMidResponse => {
                        let _ = tls
                            .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 500\r\nTus-Resumable: 1.0.0\r\nLocation: /v1/uploads/")
                            .await;
                    }
                    Hostile::FakeReceipt(size) => {
                        // Claims every step succeeded and hands over a
                        // receipt signed by nobody.
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        let reply = if text.starts_with("POST") {
                            "HTTP/1.1 201 Created\r\nTus-Resumable: 1.0.0\r\nLocation: /v1/uploads/0123456789abcdef0123456789abcdef\r\nContent-Length: 0\r\n\r\n".to_owned()
                        } else if text.starts_with("HEAD") {
                            "HTTP/1.1 200 OK\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Length: 0\r\n\r\n".to_owned()
                        } else if text.starts_with("PATCH") {
                            // Takes the whole body first, as a server that
                            // stored it would.
                            let head_end = text.find("\r\n\r\n").map_or(0, |i| i + 4);
                            let length: usize = text
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            let got = n.saturating_sub(head_end) as u64;
                            read_body(&mut tls, got, length as u64).await;
                            format!("HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {size}\r\n\r\n")
                        } else {
                            let body = r#"{"list":"{}","signature":"untrusted comment: x\nRWQ\ntrusted comment: temoin/receipt/v1\nAA==\n"}"#;
                            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                        };
                        let _ = tls.write_all(reply.as_bytes()).await;
                    }
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_leave_a_clear_failure_and_nothing_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let intake = root.join("intake");
    let init = server::init(&intake, &[], None).unwrap();
    let (mut v, case) = vault_with_case(&root.join("vault"), 1000);
    let bundle = root.join("b.tar.age");
    let summary = v
        .export_bundle_to_file(
            case,
            &temoin_vault::export::ExportOptions {
                purpose: temoin_bundle::Purpose::ShareWithOmct,
                recipients: vec![temoin_bundle::PayloadIdentity::generate().recipient()],
                supersedes: None,
                part: None,
            },
            &bundle,
        )
        .unwrap();
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(std::fs::read(&bundle).unwrap()));
    let size = std::fs::metadata(&bundle).unwrap().len();
    for mode in [
        Hostile::Garbage,
        Hostile::Hang,
        Hostile::CloseMidResponse,
        Hostile::FakeReceipt(size),
    ] {
        let addr = hostile_server(&intake, mode).await;
        let e = client::Enrollment {
            endpoint: Endpoint {
                url: format!("https://{addr}"),
                pin: init.pin.clone(),
                proxy: None,
                timeout_secs: Some(2),
            },
            access_token: "t".into(),
            receipt_key: temoin_crypto::sign::DeviceKey::generate()
                .public()
                .to_minisign_base64(),
            root_key: String::new(),
            recipients: vec![],
            recipients_issued_at: None,
            root_fingerprint: None,
            desk_key: None,
            receipt_keys: vec![],
        };
        let mut progress = UploadProgress::default();
        let started = std::time::Instant::now();
        let r = client::upload(
            &e,
            &summary.manifest.bundle_id,
            &v.device_public_key().id_hex(),
            &bundle,
            &sha,
            &mut progress,
            &mut |_| {},
        )
        .await;
        let err = r.expect_err("a hostile server must never yield a delivery");
        assert!(!err.to_string().is_empty(), "{mode:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{mode:?} took too long"
        );
        match mode {
            Hostile::FakeReceipt(_) => assert!(
                matches!(err, SyncError::Untrustworthy(_)),
                "{mode:?}: {err:?}"
            ),
            _ => assert!(matches!(err, SyncError::Transient(_)), "{mode:?}: {err:?}"),
        }
    }
}

/// A minimal SOCKS5 proxy (RFC 1928: no authentication, CONNECT to a
/// domain name or an IPv4 address), counting the connections it relays, so
/// the test sees traffic really went through it, as it would through Tor.
async fn socks5_proxy(relayed: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = listener.accept().await else {
                return;
            };
            let relayed = relayed.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 2];
                if c.read_exact(&mut head).await.is_err() || head[0] != 5 {
                    return;
                }
                let mut methods = vec![0u8; head[1] as usize];
                let _ = c.read_exact(&mut methods).await;
                let _ = c.write_all(&[5, 0]).await;
                let mut req = [0u8; 4];
                if c.read_exact(&mut req).await.is_err() || req[1] != 1 {
                    return;
                }
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        let _ = c.read_exact(&mut ip).await;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        let _ = c.read_exact(&mut len).await;
                        let mut name = vec![0u8; len[0] as usize];
                        let _ = c.read_exact(&mut name).await;
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                let _ = c.read_exact(&mut port).await;
                let Ok(mut upstream) =
                    TcpStream::connect((host.as_str(), u16::from_be_bytes(port))).await
                else {
                    let _ = c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                    return;
                };
                let _ = c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                relayed.fetch_add(1, Ordering::Relaxed);
                let _ = tokio::io::copy_bidirectional(&mut c, &mut upstream).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_go_through_a_socks5_proxy_with_the_pin_checked_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (omct, direct) = omct_with_short_timeouts(root).await;
    let addr = omct.addr;
    let relayed = Arc::new(AtomicUsize::new(0));
    let socks = socks5_proxy(relayed.clone()).await;
    // Names are resolved by the proxy (socks5h), as with Tor.
    let via_socks = Endpoint {
        url: format!("https://localhost:{}", addr.port()),
        proxy: Some(format!("socks5h://{socks}")),
        ..direct
    };
    let (mut v, case) = vault_with_case(&root.join("vault"), 100_000);
    let e = temoin_tests::omct::enroll(&omct.desk, &via_socks, &mut v, "tor user")
        .await
        .unwrap();
    let s = outbox::submit(&mut v, case).unwrap();
    let report = outbox::run_once(&mut v, false).await.unwrap();
    assert_eq!(report.delivered, vec![s.bundle_id], "{report:?}");
    assert!(relayed.load(Ordering::Relaxed) >= 1);
    // A wrong pin is still refused through the proxy.
    let mut bad = e.clone();
    bad.endpoint.pin = format!("sha256:{}", "1".repeat(64));
    let refused = client::fetch_recipients(&bad).await;
    assert!(
        matches!(refused, Err(SyncError::Untrustworthy(_))),
        "a wrong pin through the proxy must read as an untrustworthy server: {refused:?}"
    );
}

/// A client that opens a connection and sends half a request head (a
/// slow-loris) is cut off once HEADER_TIMEOUT has passed, and so is one
/// that sends nothing at all after its TLS handshake (which hyper's own
/// timeouts do not cover): neither holds a connection for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_request_head_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let omct = temoin_tests::omct::start(dir.path(), None).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(temoin_sync::pin::client_config(
        &omct.endpoint.pin,
    )));
    let open = || async {
        let tcp = TcpStream::connect(omct.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        connector.connect(name, tcp).await.unwrap()
    };
    let (mut half, mut silent) = (open().await, open().await);
    half.write_all(b"PATCH /v1/uploads/x HTTP/1.1\r\nHost: localhost\r\nTus-Resumable: 1.0.0\r\n")
        .await
        .unwrap();
    half.flush().await.unwrap();
    let started = std::time::Instant::now();
    let limit = server::HEADER_TIMEOUT + Duration::from_secs(15);
    for (what, conn) in [("half a head", &mut half), ("nothing", &mut silent)] {
        let mut buf = [0u8; 1024];
        // Whatever the server answers (a 408, or nothing), the connection
        // ends: a read gives end of file or an error, never hangs.
        loop {
            match tokio::time::timeout_at((started + limit).into(), conn.read(&mut buf)).await {
                Err(_) => {
                    panic!("a connection that sent {what} is still open after {limit:?}")
                }
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => continue,
            }
        }
    }
    println!(
        "faults: connections with half a request head, or none, closed after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Past its most connections at once, a server closes a new connection at
/// once (the device retries later) and keeps serving those it holds; a
/// slot freed is taken again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_most_connections_a_server_closes_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let omct = temoin_tests::omct::start(dir.path(), None).await.unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
        omct.intake.join("tls/cert.pem"),
        omct.intake.join("tls/key.pem"),
    )
    .await
    .unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let handle = axum_server::Handle::new();
    let listening = handle.clone();
    tokio::spawn(
        server::bind_tls(([127, 0, 0, 1], 0).into(), tls, 3)
            .handle(handle)
            .serve(app.into_make_service()),
    );
    let addr = listening.listening().await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(temoin_sync::pin::client_config(
        &omct.endpoint.pin,
    )));
    // A connection that completes its handshake and answers a request.
    let open = || async {
        let tcp = TcpStream::connect(addr).await.ok()?;
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.ok()?;
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .ok()?;
        let mut buf = [0u8; 256];
        let n = tls.read(&mut buf).await.ok()?;
        String::from_utf8_lossy(&buf[..n])
            .starts_with("HTTP/1.1 200")
            .then_some(tls)
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(open().await.expect("a connection within the limit"));
    }
    assert!(
        open().await.is_none(),
        "a fourth connection was served past a limit of three"
    );
    held.pop();
    let started = std::time::Instant::now();
    loop {
        if open().await.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a slot freed was never taken again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("faults: a server of 3 connections closed the 4th, and took one again once freed");
}

/// Reads the rest of a request's body (`got` of `length` bytes already
/// read) as a server that stores it would; whether it all came.
async fn read_body<S: tokio::io::AsyncRead + Unpin>(
    tls: &mut S,
    mut got: u64,
    length: u64,
) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    while got < length {
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n as u64,
        }
    }
    true
}

/// A tus server that confirms the first PATCH, then answers every other
/// with 409 and its HEAD with `then_head` (or, if `None`, the offset it
/// confirmed): each connection one request, as `hostile_server`.
async fn tus_server_that_turns(intake: &Path, then_head: Option<u64>) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<_> =
        rustls::pki_types::CertificateDer::pem_file_iter(intake.join("tls/cert.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(intake.join("tls/key.pem")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let confirmed = Arc::new(std::sync::Mutex::new(None::<u64>));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, confirmed) = (acceptor.clone(), confirmed.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let mut head = Vec::new();
                let end = loop {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
                let field = |name: &str| -> u64 {
                    text.lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0)
                };
                let reply = if text.starts_with("post") {
                    "HTTP/1.1 201 Created\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\nLocation: /v1/uploads/0123456789abcdef0123456789abcdef\r\nContent-Length: 0\r\n\r\n".to_owned()
                } else if text.starts_with("head") {
                    let at = confirmed
                        .lock()
                        .unwrap()
                        .map_or(0, |c| then_head.unwrap_or(c));
                    format!("HTTP/1.1 200 OK\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\nUpload-Offset: {at}\r\nContent-Length: 0\r\n\r\n")
                } else {
                    // The whole body first, as a server that stored it.
                    let length = field("content-length:");
                    if !read_body(&mut tls, (head.len() - end) as u64, length).await {
                        return;
                    }
                    let mut c = confirmed.lock().unwrap();
                    if c.is_none() {
                        let at = field("upload-offset:") + length;
                        *c = Some(at);
                        format!("HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\nUpload-Offset: {at}\r\n\r\n")
                    } else {
                        "HTTP/1.1 409 Conflict\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                            .to_owned()
                    }
                };
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// A server that answers 409 to every PATCH after the first: the device
/// asks where it stands, and gives the attempt up after three tries that
/// move nothing, having sent one chunk more each time at most; one that
/// then claims fewer bytes than it confirmed is not followed back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_turns_after_a_chunk_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let intake = root.join("intake");
    let init = server::init(&intake, &[], None).unwrap();
    let file = root.join("b.bin");
    let size = 3 * client::CHUNK as u64;
    std::fs::write(&file, vec![7u8; size as usize]).unwrap();
    for (then_head, what) in [(None, "stays"), (Some(0), "goes back")] {
        let addr = tus_server_that_turns(&intake, then_head).await;
        let endpoint = Endpoint {
            url: format!("https://{addr}"),
            pin: init.pin.clone(),
            proxy: None,
            // Long enough for a loaded machine: a first answer lost to a
            // time-out would hide the going back this plays.
            timeout_secs: Some(60),
        };
        let mut progress = UploadProgress::default();
        let r = client::send_tus(&endpoint, "Bearer t", "b", &file, &mut progress).await;
        let err = r.expect_err("a server that turned yielded an upload");
        match then_head {
            None => assert!(matches!(err, SyncError::Transient(_)), "{what}: {err:?}"),
            Some(_) => assert!(
                matches!(err, SyncError::Untrustworthy(_)),
                "{what}: {err:?}"
            ),
        }
        // The first chunk, the (larger) next one the server refused, then
        // one of 8 MiB per try: bounded, not a loop.
        assert!(
            progress.bytes_sent <= (client::CHUNK + client::MAX_CHUNK + 3 * client::CHUNK) as u64,
            "{what}: {} bytes sent",
            progress.bytes_sent
        );
        assert_eq!(progress.offset, client::CHUNK as u64, "{what}");
    }
}
