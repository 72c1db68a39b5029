//! An urgent case goes to OMCT first: a large bundle is uploading over a
//! slow connection when the defender seals an urgent case with a photo; the
//! upload pauses between two chunks, the urgent case's text is delivered
//! (its records alone, `temoin-bundle/3`), then its photo in the bundle of
//! the whole case that names the text, and the large one resumes where it
//! stopped (tus), not from the start. OMCT's desk shows the urgent case at
//! the top as soon as the text is opened, its files marked as following.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use temoin_desk::TriageState;
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
    // A photo of the injuries: 3 MiB, which the text does not wait for.
    let photo = dir.path().join("photo.bin");
    let mut bytes = vec![0u8; 3 * 1024 * 1024];
    temoin_crypto::random_bytes(&mut bytes);
    std::fs::write(&photo, &bytes).unwrap();
    v.ingest_file(urgent_case, &photo, &mut |_| {}).unwrap();

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
    let text = urgent.text_ahead.clone().expect("no text sent ahead");
    assert_eq!(
        report.delivered,
        vec![
            text.clone(),
            urgent.bundle_id.clone(),
            big.bundle_id.clone()
        ],
        "the urgent case's text was not delivered first, then its files"
    );
    let v = shared.into_inner().unwrap();
    let after = outbox::list(v).unwrap();
    let text_sub = after.iter().find(|s| s.bundle_id == text).unwrap();
    assert!(text_sub.text_only && !text_sub.has_media);
    assert!(text_sub.size < 1024 * 1024, "the text carried the photo");
    // The whole case names the text as the bundle it replaces.
    assert_eq!(
        urgent.supersedes.as_ref().map(|s| s.bundle_id.as_str()),
        Some(text.as_str())
    );
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

/// The desk, given the urgent case's text alone (a USB stick, or the
/// server while the files are still uploading), lists the case first and
/// says its files follow; once the whole case is opened they no longer do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_shows_the_urgent_text_first_and_its_files_following() {
    let dir = tempfile::tempdir().unwrap();
    let o = omct::start(dir.path(), None).await.unwrap();
    let (mut v, other_case, _) = field_vault(&dir.path().join("vault"), 1024);
    omct::enroll(&o.desk, &o.endpoint, &mut v, "field office")
        .await
        .unwrap();
    desk::pull(&o.desk).await.unwrap();
    outbox::submit(&mut v, other_case).unwrap();
    outbox::run_once(&mut v, false).await.unwrap();

    let mut c = Case::new("Transfer to an unknown place tonight");
    c.urgent = true;
    c.urgent_reason = Some(UrgentReason::ImminentTransfer);
    let case = v.add(&c).unwrap();
    v.add(&Consent::new(
        case,
        "his lawyer",
        PartialDate("2026-12-02".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .unwrap();
    let photo = dir.path().join("photo.bin");
    std::fs::write(&photo, vec![7u8; 200_000]).unwrap();
    v.ingest_file(case, &photo, &mut |_| {}).unwrap();
    let whole = outbox::submit(&mut v, case).unwrap();
    let text = whole.text_ahead.clone().unwrap();

    // The text alone, as a file.
    let outbox_dir = v.outbox_dir().unwrap();
    let stick = dir.path().join(format!("{text}.tar.age"));
    std::fs::copy(outbox_dir.join(format!("{text}.tar.age")), &stick).unwrap();
    desk::pull(&o.desk).await.unwrap();
    desk::open(&o.desk, None).unwrap();
    let opened = desk::open(&o.desk, Some(&stick)).unwrap();
    assert!(opened[0].accepted(), "{:?}", opened[0].desk_problems);
    let rows = desk::unlock(&o.desk).unwrap().cases().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].case_id, case, "the urgent case is not at the top");
    assert!(rows[0].urgent && rows[0].files_follow);
    assert!(!rows[1].files_follow);
    let view = desk::unlock(&o.desk).unwrap().case(rows[0].id).unwrap();
    assert!(
        !view.manifest.files.iter().any(|f| f.item.is_some()),
        "the text carried a file"
    );
    // The desk starts on the account at once.
    desk::unlock(&o.desk)
        .unwrap()
        .triage(rows[0].id, TriageState::InReview, None)
        .unwrap();

    // Then the whole case, through the server.
    outbox::run_once(&mut v, false).await.unwrap();
    desk::pull(&o.desk).await.unwrap();
    desk::open(&o.desk, None).unwrap();
    let rows = desk::unlock(&o.desk).unwrap().cases().unwrap();
    assert_eq!(rows[0].case_id, case);
    assert!(
        !rows[0].files_follow,
        "the files arrived, the desk still waits"
    );
    assert_eq!(rows[0].versions, 2);
    // The files of the account it was reading: its triage stands.
    assert_eq!(rows[0].state, TriageState::InReview);
    let view = desk::unlock(&o.desk).unwrap().case(rows[0].id).unwrap();
    assert!(view.manifest.files.iter().any(|f| f.item.is_some()));
}
