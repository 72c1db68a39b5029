//! An urgent case goes to OMCT first: a large bundle is uploading over a
//! slow connection when the defender seals an urgent case; the upload
//! pauses between two chunks, the urgent bundle is delivered, and the large
//! one resumes where it stopped (tus), not from the start.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use temoin_sync::client::{Endpoint, CHUNK};
use temoin_sync::outbox;
use temoin_tests::{desk, field_vault, omct};
use temoin_vault::case::{Case, Consent, ConsentScope, Testimony, UrgentReason};
use temoin_vault::record::PartialDate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to `to` passing at most `rate` bytes a second from the
/// client to the server: a slow uplink, as from the field. TLS passes
/// through it untouched.
async fn slow_uplink(to: SocketAddr, rate: f64) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(to).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = cr.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        sw.write_all(&buf[..n]).await?;
                        tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate)).await;
                    }
                    sw.shutdown().await
                };
                let down = tokio::io::copy(&mut sr, &mut cw);
                let _ = tokio::join!(up, down);
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_case_overtakes_a_large_upload_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let size = 64 * 1024 * 1024;
    let (mut v, big_case, _) = field_vault(&dir.path().join("vault"), size);
    // 16 MiB/s: the large bundle takes about four seconds.
    let slow = slow_uplink(o.addr, 16.0 * 1024.0 * 1024.0).await;
    let endpoint = Endpoint {
        url: format!("https://{slow}"),
        ..o.endpoint.clone()
    };
    omct::enroll(&o.desk, &endpoint, &mut v, "field office")
        .await
        .unwrap();
    desk::pull(&o.desk).await.unwrap();

    let mut c = Case::new("Held incommunicado since Monday");
    c.urgent = true;
    c.urgent_reason = Some(UrgentReason::IncommunicadoDetention);
    let urgent_case = v.add(&c).unwrap();
    v.add(&Consent::new(
        urgent_case,
        "his brother",
        PartialDate("2026-12-01".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .unwrap();
    v.add(&Testimony::new(urgent_case, "Taken at the checkpoint."))
        .unwrap();

    let big = outbox::submit(&mut v, big_case).unwrap();
    assert!(!big.urgent);
    let shared = Mutex::new(&mut v);
    // Without `--force`: the round the app's outbox runs.
    let run = outbox::run_shared(&shared, false);
    // Once the large upload has a chunk on the server, the urgent case is
    // sealed and queued.
    let seal_when_started = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut guard = shared.lock().unwrap();
            let started = outbox::list(&guard)
                .unwrap()
                .iter()
                .any(|s| s.bundle_id == big.bundle_id && s.progress.offset > 0);
            if started {
                return outbox::submit(&mut guard, urgent_case).unwrap();
            }
        }
    };
    let (report, urgent) = tokio::join!(run, seal_when_started);
    let report = report.unwrap();
    assert!(urgent.urgent);
    assert_eq!(
        report.delivered,
        vec![urgent.bundle_id.clone(), big.bundle_id.clone()],
        "the urgent bundle was not delivered first"
    );
    let v = shared.into_inner().unwrap();
    let after = outbox::list(v).unwrap();
    let big_after = after.iter().find(|s| s.bundle_id == big.bundle_id).unwrap();
    assert!(big_after.status.delivered());
    // Paused between two confirmed chunks and resumed from there: not a
    // byte sent twice.
    assert_eq!(
        big_after.progress.bytes_sent, big.size,
        "the large upload sent some bytes twice after its pause"
    );
    assert!(big.size > 2 * CHUNK as u64, "the bundle is one chunk only");
    assert_eq!(big_after.attempts, 1, "a pause counted as a failed attempt");
}
