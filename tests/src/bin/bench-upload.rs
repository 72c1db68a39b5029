//! Upload goodput and resume cost, over loopback, against the real intake
//! server (in this process, on TLS).
//!
//! 1. A sealed bundle of about 1 GiB (a case with 1 GiB of incompressible
//!    evidence, exported for OMCT) is sent by `curl` to a bare HTTPS sink:
//!    the same TLS stack as the intake server (axum-server, rustls, the
//!    same certificate), writing the body to a file and fdatasync-ing it,
//!    nothing else. That is the limit of this machine for one upload, and
//!    the reference. Then the same bytes go to the intake server, uploaded
//!    by Témoin's client (tus, PATCHes of 8 MiB growing to 64 MiB on a fast
//!    link, receipt verified), and by `curl` as one tus PATCH (what
//!    tus-js-client and Uppy send by default). Budget: each at least 0.9x
//!    the sink. Beside them, the same sink hashing every byte (SHA-256, as
//!    the server must before it signs a receipt, and nothing else) says
//!    how much of the difference is the hash, and the sink fed by reqwest
//!    how much is curl. Each is run `--rounds` times (default 5),
//!    interleaved, after a `sync`; the medians are compared, and the CPU
//!    each took is printed beside them, with what SHA-256 costs on this
//!    machine: where the sink and curl already keep every core busy, a
//!    server that hashes cannot keep up with a sink that does not.
//! 2. The bundle is uploaded again through a proxy that cuts the
//!    connection at a random point, then resumed. Budget: the bytes sent
//!    again are at most one chunk. The server keeps what arrived of a cut
//!    chunk, so what is sent again is what the cut lost in flight (the
//!    proxy's and the kernel's socket buffers, some MiB on loopback).
//!
//! `--mib N` changes the evidence size (default 1024).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rand::Rng;
use temoin_bundle::Purpose;
use temoin_sync::client::{self, Endpoint, UploadProgress, CHUNK, MAX_CHUNK};
use temoin_tests::report;
use temoin_vault::case::{Case, Consent, ConsentScope};
use temoin_vault::export::ExportOptions;
use temoin_vault::{KdfChoice, PartialDate, Passphrase, Vault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Error = Box<dyn std::error::Error>;

/// The kinds of run, in the order each round runs them: curl to the bare
/// sink, curl to the sink that also hashes, reqwest to the bare sink, curl
/// to the intake server, our client to the intake server.
const SINK: usize = 0;
const HASHED: usize = 1;
const FAST: usize = 2;
const CURL: usize = 3;
const OURS: usize = 4;

fn main() -> Result<(), Error> {
    let mib: usize = temoin_tests::arg("--mib", 1024)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/upload");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(&root, mib))?;
    // Several gigabytes of uploads: not left on the disk.
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}

async fn run(root: &Path, mib: usize) -> Result<(), Error> {
    let started = temoin_tests::omct::start(root, None)
        .await
        .map_err(|e| e.to_string())?;
    let (addr, endpoint, intake, omct) = (
        started.addr,
        started.endpoint,
        started.intake,
        started.recipient,
    );

    // The bundle.
    let mut v = Vault::create(
        &root.join("vault"),
        &Passphrase::from("bench"),
        KdfChoice::Minimum,
    )?;
    let case = v.add(&Case::new("bench"))?;
    v.add(&Consent::new(
        case,
        "w",
        PartialDate("2024".into()),
        vec![ConsentScope::ShareWithOmct],
    ))?;
    let evidence = root.join("evidence.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&evidence)?);
        let mut buf = vec![0u8; 1024 * 1024];
        for _ in 0..mib {
            temoin_crypto::random_bytes(&mut buf);
            f.write_all(&buf)?;
        }
        f.flush()?;
    }
    v.ingest_file(case, &evidence, &mut |_| {})?;
    std::fs::remove_file(&evidence)?;
    let bundle = root.join("bundle.tar.age");
    let summary = v.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients: vec![omct.parse()?],
            supersedes: None,
            part: None,
        },
        &bundle,
    )?;
    let size = summary.bytes;
    let sha = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        std::io::copy(&mut std::fs::File::open(&bundle)?, &mut h)?;
        hex::encode(h.finalize())
    };
    println!("bundle: {:.1} MiB", size as f64 / 1048576.0);
    let token = temoin_tests::omct::code(&root.join("desk"), "bench")
        .await
        .map_err(|e| e.to_string())?;
    let device = v.device_public_key();
    let e = temoin_tests::omct::enroll_at(endpoint.clone(), &token, &device.to_minisign_base64())
        .await?;

    // 1. Goodput: the bare sink, then ours, then curl, on the same bytes.
    let sink_addr = sink(
        root,
        &intake.join("tls/cert.pem"),
        &intake.join("tls/key.pem"),
    )
    .await?;
    // Each run starts with no dirty pages left by the one before (an
    // upload leaves 1 GiB for the disk to write, and whatever follows
    // would pay for it), and the runs are interleaved over several rounds
    // so that a slow moment of the disk falls on all of them alike: the
    // median of each is compared.
    let rounds: usize = temoin_tests::arg("--rounds", 5)?.max(1);
    // The runs of each kind, and the CPU seconds each took: this process
    // (the servers and our client) and curl.
    let mut runs: [Vec<std::time::Duration>; 5] = Default::default();
    let mut cpu = [(0.0, 0.0); 5];
    let stored = intake.join("store");
    for _ in 0..rounds {
        for kind in [SINK, HASHED, FAST, CURL, OURS] {
            settle(root)?;
            let before = temoin_tests::cpu_seconds()?;
            let took = match kind {
                SINK => curl_to_sink(sink_addr, "/sink", &intake, &bundle).await?,
                HASHED => curl_to_sink(sink_addr, "/sink-sha256", &intake, &bundle).await?,
                FAST => reqwest_to_sink(sink_addr, &endpoint.pin, &bundle).await?,
                CURL => curl_upload(&endpoint, &e.access_token, &intake, &bundle, size).await?,
                _ => {
                    let start = Instant::now();
                    let mut progress = UploadProgress::default();
                    client::upload(
                        &e,
                        &uuid::Uuid::new_v4().to_string(),
                        &device.id_hex(),
                        &bundle,
                        &sha,
                        &mut progress,
                        &mut |_| {},
                    )
                    .await?;
                    start.elapsed()
                }
            };
            runs[kind].push(took);
            add_cpu(&mut cpu[kind], before)?;
        }
        // Each round stores 2 GiB; the receipts were checked, nothing
        // fetches them, and a filling disk would slow the next rounds.
        for f in std::fs::read_dir(&stored)? {
            std::fs::remove_file(f?.path())?;
        }
    }
    let n = rounds as f64;
    let names = [
        "sink/curl",
        "sink+sha256/curl",
        "sink/reqwest",
        "curl/intake",
        "ours",
    ];
    for (what, (own, curl)) in names.iter().zip(cpu) {
        println!(
            "CPU per run, {what}: this process (servers, our client) {:.2} s, curl {:.2} s",
            own / n,
            curl / n
        );
    }
    for (what, r) in names.iter().zip(&runs) {
        println!("runs (ms), {what}: {:?}", millis(r));
    }
    let [sink_time, hashed, sink_fast, curl, ours] = runs.map(|mut r| median(&mut r));
    let mbs = |t: std::time::Duration| size as f64 / 1048576.0 / t.as_secs_f64();
    let (sink_mbs, hashed_mbs, ours_mbs, curl_mbs) =
        (mbs(sink_time), mbs(hashed), mbs(ours), mbs(curl));
    let fast_mbs = mbs(sink_fast);
    println!(
        "upload: bare HTTPS sink (curl, one PATCH, write + fdatasync) {:.0} ms ({sink_mbs:.0} MiB/s); \
         the same sink also hashing (SHA-256 of every byte, as a receipt needs) {:.0} ms ({hashed_mbs:.0} MiB/s); \
         ours {:.0} ms ({ours_mbs:.0} MiB/s, PATCHes of 8 to 64 MiB, receipt verified); \
         curl to the intake server {:.0} ms ({curl_mbs:.0} MiB/s, one PATCH)",
        sink_time.as_secs_f64() * 1000.0,
        hashed.as_secs_f64() * 1000.0,
        ours.as_secs_f64() * 1000.0,
        curl.as_secs_f64() * 1000.0
    );
    println!(
        "the same sink fed by our client's HTTP stack (reqwest, one PATCH streamed from the file): \
         {:.0} ms ({fast_mbs:.0} MiB/s)",
        sink_fast.as_secs_f64() * 1000.0
    );
    // Why the bare sink is out of reach where cores are few: what the
    // sink and curl already take of the machine, and what the receipt's
    // hash adds to it.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let busy = (cpu[SINK].0 + cpu[SINK].1) / n;
    let hash_cpu = sha256_seconds(&bundle, size)?;
    let share = busy / (cores as f64 * sink_time.as_secs_f64());
    let needed = busy + hash_cpu;
    println!(
        "machine: {cores} cores; the bare sink and curl used {busy:.2} core-seconds per run \
         ({:.0}% of the cores over the sink's {:.0} ms); SHA-256 of the bundle takes {hash_cpu:.2} s \
         of one core ({:.0} MiB/s, from the cache as the server hashes); so a server that hashes \
         every byte needs {needed:.2} core-seconds per run: {:.0} ms with every core busy all \
         the time, {:.0} ms as busy as the sink kept them",
        100.0 * share,
        sink_time.as_secs_f64() * 1000.0,
        mbs(std::time::Duration::from_secs_f64(hash_cpu)),
        1000.0 * needed / cores as f64,
        1000.0 * needed / (cores as f64 * share),
    );
    report(
        "our client's upload vs the sink fed by reqwest (the machine's limit for a fast sender)",
        &format!("{:.2}x", ours_mbs / fast_mbs),
        "reported",
        true,
    );
    for (what, mine) in [
        ("our client's upload", ours_mbs),
        ("one large PATCH (curl)", curl_mbs),
    ] {
        let ratio = mine / sink_mbs;
        report(
            &format!("{what} vs a bare HTTPS sink, same bytes"),
            &format!("{ratio:.2}x"),
            ">= 0.9x",
            ratio >= 0.9,
        );
        let ratio = mine / hashed_mbs;
        report(
            &format!("{what} vs the sink that also hashes, same bytes"),
            &format!("{ratio:.2}x"),
            ">= 0.9x",
            ratio >= 0.9,
        );
    }

    // 2. A connection cut at a random point, then resumed.
    let cut_at = rand::thread_rng().gen_range(size / 10..size - size / 10);
    let (proxy, did_cut) = cutting_proxy(addr, cut_at).await?;
    let via_proxy = client::Enrollment {
        endpoint: Endpoint {
            url: format!("https://{proxy}"),
            ..endpoint.clone()
        },
        ..e.clone()
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut progress = UploadProgress::default();
    let cut = client::send_tus(
        &via_proxy.endpoint,
        &format!("Bearer {}", e.access_token),
        &id,
        &bundle,
        &mut progress,
    )
    .await;
    if !did_cut.load(std::sync::atomic::Ordering::SeqCst) {
        return Err("the proxy did not cut the upload".into());
    }
    // The client asks where the server stands after a failed PATCH and
    // goes on; if it gave the attempt up, the next attempt resumes.
    if cut.is_err() {
        client::send_tus(
            &endpoint,
            &format!("Bearer {}", e.access_token),
            &id,
            &bundle,
            &mut progress,
        )
        .await?;
    }
    let resent = progress.bytes_sent - size;
    println!(
        "resume: cut after {:.1} MiB sent ({}); {:.1} MiB sent again (chunks of {} to {} MiB; the server keeps what arrived of a cut one)",
        cut_at as f64 / 1048576.0,
        if cut.is_ok() { "resumed by the same attempt" } else { "resumed by a second attempt" },
        resent as f64 / 1048576.0,
        CHUNK / 1048576,
        MAX_CHUNK / 1048576
    );
    report(
        "bytes re-sent after a cut connection",
        &format!("{:.1} MiB", resent as f64 / 1048576.0),
        "<= 1 chunk (64 MiB at most)",
        resent <= MAX_CHUNK as u64,
    );
    Ok(())
}

/// Writes out every dirty page of the machine, so that a run does not pay
/// for the one before.
fn settle(root: &Path) -> Result<(), Error> {
    // The sink's file from the run before: truncated inside the sink's
    // timed run, its gigabyte of pages would be freed on the sink's time.
    match std::fs::remove_file(root.join("sink.bin")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    Command::new("sync").status()?;
    Ok(())
}

/// Adds the CPU seconds used since `before` to `total`.
fn add_cpu(total: &mut (f64, f64), before: (f64, f64)) -> Result<(), Error> {
    let now = temoin_tests::cpu_seconds()?;
    total.0 += now.0 - before.0;
    total.1 += now.1 - before.1;
    Ok(())
}

fn median(runs: &mut [std::time::Duration]) -> std::time::Duration {
    let mut sorted = runs.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn millis(runs: &[std::time::Duration]) -> Vec<u128> {
    runs.iter().map(|d| d.as_millis()).collect()
}

/// Seconds of one core that SHA-256 takes over `size` bytes of the bundle
/// hashed from the cache, as the server hashes each frame as it arrives:
/// its first MiB, hashed again and again.
fn sha256_seconds(bundle: &Path, size: u64) -> Result<f64, Error> {
    use sha2::Digest;
    use std::io::Read;
    let mut piece = vec![0u8; size.min(1024 * 1024) as usize];
    std::fs::File::open(bundle)?.read_exact(&mut piece)?;
    let times = size.div_ceil(piece.len().max(1) as u64);
    let start = Instant::now();
    let mut h = sha2::Sha256::new();
    for _ in 0..times {
        h.update(&piece);
    }
    std::hint::black_box(h.finalize());
    Ok(start.elapsed().as_secs_f64() * size as f64 / (times * piece.len() as u64) as f64)
}

/// The reference: a bare HTTPS sink on the intake server's TLS stack
/// (axum-server with rustls, its certificate, its listener's settings:
/// `temoin_intake::bind_tls`) that writes a PATCH's body
/// to a file and fdatasyncs it, nothing else. It writes with the intake
/// server's own writer (`temoin_intake::PieceWriter`: 1 MiB pieces on a
/// blocking thread while the next is received, past the page cache where
/// the file system allows), so that the comparison measures what the
/// server adds (hashing, the database, tus), not a better way of writing.
async fn sink(dir: &Path, cert: &Path, key: &Path) -> Result<SocketAddr, Error> {
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    let target = dir.join("sink.bin");
    let hashed = target.clone();
    let app = axum::Router::new()
        .route(
            "/sink",
            axum::routing::patch(move |body: axum::body::Body| {
                sink_write(body, target.clone(), false)
            }),
        )
        .route(
            "/sink-sha256",
            axum::routing::patch(move |body: axum::body::Body| {
                sink_write(body, hashed.clone(), true)
            }),
        );
    let handle = axum_server::Handle::new();
    let listening = handle.clone();
    tokio::spawn(
        temoin_intake::bind_tls(
            ([127, 0, 0, 1], 0).into(),
            tls,
            temoin_intake::MAX_CONNECTIONS,
        )
        .handle(handle)
        .serve(app.into_make_service()),
    );
    listening
        .listening()
        .await
        .ok_or_else(|| "the sink did not listen".into())
}

/// The sink's handler: the body into `target`, then fdatasync. With
/// `hash`, every byte also goes through SHA-256 as the intake server
/// hashes it for the receipt, and nothing else is added.
async fn sink_write(
    body: axum::body::Body,
    target: std::path::PathBuf,
    hash: bool,
) -> axum::http::StatusCode {
    let write = async {
        use http_body_util::BodyExt;
        use sha2::Digest;
        let mut writer = tokio::task::spawn_blocking(move || {
            std::fs::File::create(&target)?;
            temoin_intake::PieceWriter::open(&target, 0, u64::MAX)
        })
        .await
        .map_err(std::io::Error::other)??;
        let mut sha = hash.then(sha2::Sha256::new);
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(std::io::Error::other)?;
            if let Ok(data) = frame.into_data() {
                if let Some(h) = sha.as_mut() {
                    h.update(&data);
                }
                writer.take(&data).await;
                if writer.failed() {
                    break;
                }
            }
        }
        let written = writer.finish().await?;
        std::hint::black_box(sha.map(|h| h.finalize()));
        tokio::task::spawn_blocking(move || written.file.sync_data())
            .await
            .map_err(std::io::Error::other)??;
        Ok::<_, std::io::Error>(())
    };
    match write.await {
        Ok(()) => axum::http::StatusCode::NO_CONTENT,
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Sends the bundle to the sink with reqwest (our client's HTTP and TLS
/// stack), in one PATCH streamed from the file.
async fn reqwest_to_sink(
    addr: SocketAddr,
    pin: &str,
    bundle: &Path,
) -> Result<std::time::Duration, Error> {
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(pin))
        .build()?;
    let file = tokio::fs::File::open(bundle).await?;
    let size = file.metadata().await?.len();
    let body = futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 1024 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let start = Instant::now();
    let r = http
        .patch(format!("https://{addr}/sink"))
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", size.to_string())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await?;
    let elapsed = start.elapsed();
    if r.status().as_u16() != 204 {
        return Err(format!("the sink answered {}", r.status()).into());
    }
    Ok(elapsed)
}

/// Sends the bundle to the sink with `curl`, in one PATCH.
async fn curl_to_sink(
    addr: SocketAddr,
    route: &str,
    intake: &Path,
    bundle: &Path,
) -> Result<std::time::Duration, Error> {
    let cert = intake.join("tls/cert.pem");
    let bundle = bundle.to_owned();
    let route = route.to_owned();
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-sS", "--fail", "-X", "PATCH", "--cacert"])
            .arg(&cert)
            .args(["-H", "Content-Type: application/offset+octet-stream"])
            .args(["-H", "Expect:", "-T"])
            .arg(&bundle)
            .arg(format!("https://{addr}{route}"))
            .output()
    })
    .await??;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "curl to the sink failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(elapsed)
}

/// Creates a tus upload, then sends the whole file with `curl` in one PATCH.
async fn curl_upload(
    endpoint: &Endpoint,
    token: &str,
    intake: &Path,
    bundle: &Path,
    size: u64,
) -> Result<std::time::Duration, Error> {
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(&endpoint.pin))
        .build()?;
    let id = uuid::Uuid::new_v4().to_string();
    let r = http
        .post(format!("{}/v1/uploads", endpoint.url))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {token}"))
        .header("Upload-Length", size.to_string())
        .header(
            "Upload-Metadata",
            temoin_proto::tus::format_metadata(&[("bundle_id", id.as_bytes())]),
        )
        .send()
        .await?;
    let location = r.headers()["Location"].to_str()?.to_owned();
    let url = format!("{}{location}", endpoint.url);
    let cert = intake.join("tls/cert.pem");
    let bundle = bundle.to_owned();
    let auth = format!("Authorization: Bearer {token}");
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-sS", "--fail", "-X", "PATCH", "--cacert"])
            .arg(&cert)
            .args([
                "-H",
                "Tus-Resumable: 1.0.0",
                "-H",
                "Upload-Offset: 0",
                "-H",
                "Content-Type: application/offset+octet-stream",
                "-H",
                &auth,
                // No "Expect: 100-continue" pause before the body.
                "-H",
                "Expect:",
                "-T",
            ])
            .arg(&bundle)
            .arg(&url)
            .output()
    })
    .await??;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(format!("curl failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(elapsed)
}

/// A TCP proxy that cuts, once, the connection during which the bytes sent
/// by the client (over all connections) pass `cut_at`.
async fn cutting_proxy(
    upstream: SocketAddr,
    cut_at: u64,
) -> Result<(SocketAddr, std::sync::Arc<std::sync::atomic::AtomicBool>), Error> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let total = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let did_cut = done.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (total, done) = (total.clone(), done.clone());
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let down = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let before = total.fetch_add(n as u64, Ordering::SeqCst);
                    if before + n as u64 > cut_at && !done.swap(true, Ordering::SeqCst) {
                        down.abort();
                        return;
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = sw.shutdown().await;
                let _ = down.await;
            });
        }
    });
    Ok((addr, did_cut))
}
