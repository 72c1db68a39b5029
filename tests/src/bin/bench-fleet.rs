//! The intake server under the network's load, against the reference tus
//! server, and the cost of its state as it grows.
//!
//! 1. Load. One `temoin-intake` (release build) on PostgreSQL and a
//!    SeaweedFS bucket, behind HAProxy, takes bundles from 1,000 enrolled
//!    devices, 50 at a time: most small (the text of a case, 2 to 64 KiB),
//!    some large (16 MiB, in 8 MiB PATCHes). Then the same requests go to
//!    the reference, `@tus/server` with `@tus/s3-store` (npm), one instance,
//!    on the same bucket, certificate and HAProxy. Printed side by side:
//!    bundles per second, p50/p99 of creation and of PATCH, each server's
//!    peak memory; the ratios are ours against the reference's (≥ 1 means
//!    ours is at least as good). Each server first takes 100 bundles that
//!    are not counted (the bucket's first volumes are made then).
//! 2. Cost growth. p99 of a creation with 1,000 and with 100,000 bundles
//!    stored, on SQLite and on PostgreSQL (budget: ratio ≤ 1.5).
//!
//! The requests carry no `Upload-Checksum`, which the reference does not
//! support; the device's own client sends one (and `bench-upload` measures
//! it). Options: `--bundles N` (default 2000), `--devices N` (1000),
//! `--concurrency N` (50), `--stored N` (100000).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use temoin_tests::fleet::{
    free_addr, intake_binary_of, peak_rss, root, Haproxy, Instance, Seaweed, S3_BUCKET, S3_KEY,
    S3_SECRET,
};
use temoin_tests::postgres::Cluster;
use temoin_tests::{ms, percentile, report};
use tokio::sync::Mutex;

type Error = Box<dyn std::error::Error + Send + Sync>;

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 8 * MIB;

fn main() -> Result<(), Error> {
    let bundles: usize = temoin_tests::arg("--bundles", 2000)?;
    let devices: usize = temoin_tests::arg("--devices", 1000)?;
    let concurrency: usize = temoin_tests::arg("--concurrency", 50)?;
    let stored: usize = temoin_tests::arg("--stored", 100_000)?;
    let dir = root().join("target/bench/fleet");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(async {
            load(&dir, bundles, devices, concurrency).await?;
            growth(&dir, devices, stored).await
        })
}

/// A server folder made by `init`, and its configuration file.
struct Site {
    config: PathBuf,
    intake: PathBuf,
    pin: String,
}

fn site(
    dir: &Path,
    name: &str,
    database: Option<&str>,
    bucket: Option<&Seaweed>,
) -> Result<Site, Error> {
    let root = dir.join(name);
    let intake = root.join("intake");
    let init = temoin_intake::init(
        &intake,
        &[],
        Some(temoin_intake::Config {
            max_upload_bytes: 64 * MIB as u64,
            max_uploads_per_hour: 1_000_000,
            quota_bytes: 1 << 40,
            database: database.map(str::to_owned),
            ..temoin_intake::Config::default()
        }),
    )?;
    let config = root.join("intake.toml");
    let mut text = format!("[server]\ndir = \"{}\"\n", intake.display());
    if let Some(b) = bucket {
        text.push_str(&b.storage_section(&root.join("s3-secret"))?);
    }
    std::fs::write(&config, text)?;
    Ok(Site {
        config,
        intake,
        pin: init.pin,
    })
}

/// Enrolls `n` devices by writing their rows (enrollment is not what is
/// measured); their access tokens.
async fn devices(intake: &Path, n: usize) -> Result<Vec<String>, Error> {
    let mut db = temoin_tests::omct::state_db(intake).await?;
    let mut tokens = Vec::new();
    for i in 0..n {
        let token = format!("bench-device-token-{i:05}");
        sqlx::query(
            "INSERT INTO devices (key_id, public_key, label, enrolled_at, access_token_sha256) \
             VALUES ($1, 'bench', $2, '2026-12-01T00:00:00Z', $3)",
        )
        .bind(format!("{i:016x}"))
        .bind(format!("device {i}"))
        .bind(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            token.as_bytes(),
        )))
        .execute(&mut db)
        .await?;
        tokens.push(token);
    }
    Ok(tokens)
}

fn client(pin: &str) -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(temoin_sync::pin::client_config(pin))
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(256)
        .build()?)
}

/// What one run of the load measured.
#[derive(Debug, Default)]
struct Run {
    bundles_per_sec: f64,
    creation: Vec<Duration>,
    patch: Vec<Duration>,
    /// Creation to last answer, of the large bundles.
    large: Vec<Duration>,
    failures: usize,
    peak_rss: u64,
}

/// The bundles' sizes: one in fifty is large.
fn plan(n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| {
            if i % 50 == 25 {
                16 * MIB
            } else {
                2 * 1024 + (i * 7919) % (62 * 1024)
            }
        })
        .collect()
}

/// [`drive`] after a warm-up (a few of each size, not counted), so that
/// neither server is measured making the bucket's first volumes.
async fn measure(
    base: &str,
    pin: &str,
    tokens: &[String],
    sizes: &[usize],
    concurrency: usize,
) -> Result<Run, Error> {
    let warm: Vec<usize> = plan(100);
    drive(base, pin, tokens, &warm, concurrency).await?;
    drive(base, pin, tokens, sizes, concurrency).await
}

async fn drive(
    base: &str,
    pin: &str,
    tokens: &[String],
    sizes: &[usize],
    concurrency: usize,
) -> Result<Run, Error> {
    let http = client(pin)?;
    let payload = Arc::new({
        let mut b = vec![0u8; 16 * MIB];
        temoin_crypto::random_bytes(&mut b);
        b
    });
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new(Run::default()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, payload, next, out) = (http.clone(), payload.clone(), next.clone(), out.clone());
        let (base, tokens, sizes) = (base.to_owned(), tokens.to_vec(), sizes.to_vec());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&size) = sizes.get(i) else { break };
                let auth = format!("Bearer {}", tokens[i % tokens.len()]);
                let t = Instant::now();
                let r = one(&http, &base, &auth, &payload[..size]).await;
                let took = t.elapsed();
                let mut o = out.lock().await;
                match r {
                    Ok((c, p)) => {
                        o.creation.push(c);
                        o.patch.extend(p);
                        if size > CHUNK {
                            o.large.push(took);
                        }
                    }
                    Err(_) => o.failures += 1,
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed();
    let mut run = std::mem::take(&mut *out.lock().await);
    run.bundles_per_sec = (sizes.len() - run.failures) as f64 / elapsed.as_secs_f64();
    Ok(run)
}

/// One bundle: creation, then PATCHes of at most 8 MiB; their times.
async fn one(
    http: &reqwest::Client,
    base: &str,
    auth: &str,
    body: &[u8],
) -> Result<(Duration, Vec<Duration>), Error> {
    let bundle_id = uuid::Uuid::new_v4().to_string();
    let t = Instant::now();
    let r = http
        .post(format!("{base}/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", auth)
        .header("Upload-Length", body.len().to_string())
        .header(
            "Upload-Metadata",
            temoin_proto::tus::format_metadata(&[("bundle_id", bundle_id.as_bytes())]),
        )
        .send()
        .await?;
    let creation = t.elapsed();
    if r.status().as_u16() != 201 {
        return Err(format!("creation answered {}", r.status()).into());
    }
    let location = r
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .ok_or("no Location")?
        .to_owned();
    let url = if location.starts_with("http") {
        location
    } else {
        format!("{base}{location}")
    };
    let mut patches = Vec::new();
    let mut offset = 0;
    while offset < body.len() {
        let end = (offset + CHUNK).min(body.len());
        let t = Instant::now();
        let r = http
            .patch(&url)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", auth)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(body[offset..end].to_vec())
            .send()
            .await?;
        patches.push(t.elapsed());
        if r.status().as_u16() != 204 {
            return Err(format!("PATCH answered {}", r.status()).into());
        }
        offset = end;
    }
    Ok((creation, patches))
}

async fn load(
    dir: &Path,
    bundles: usize,
    n_devices: usize,
    concurrency: usize,
) -> Result<(), Error> {
    let pg = Cluster::start()?;
    let bucket = Seaweed::start()?;
    let url = pg.create("load")?;
    let s = site(dir, "load", Some(&url), Some(&bucket))?;
    let ours = Instance::start_binary(&intake_binary_of("release")?, &s.config, free_addr()?)?;
    let tokens = devices(&s.intake, n_devices).await?;
    let sizes = plan(bundles);
    let large = sizes.iter().filter(|&&z| z > CHUNK).count();
    println!(
        "load: {bundles} bundles ({} of 2-64 KiB, {large} of 16 MiB) from {n_devices} devices, \
         {concurrency} at a time, one server behind HAProxy, PostgreSQL and SeaweedFS on this machine",
        bundles - large
    );
    let lb = Haproxy::start(&[ours.addr])?;
    let a = measure(
        &format!("https://127.0.0.1:{}", lb.port),
        &s.pin,
        &tokens,
        &sizes,
        concurrency,
    )
    .await?;
    let a_rss = ours.pid().and_then(peak_rss).unwrap_or(0);
    drop(lb);
    drop(ours);

    // The reference, on the same certificate, bucket and balancer.
    let port = free_addr()?.port();
    let script = root().join("tests/interop/tus-s3-server.mjs");
    let mut node = Command::new("node")
        .arg(&script)
        .arg(s.intake.join("tls/cert.pem"))
        .arg(s.intake.join("tls/key.pem"))
        .arg(&bucket.endpoint)
        .arg(S3_BUCKET)
        .arg(S3_KEY)
        .arg(S3_SECRET)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start node ({e}): run scripts/deps.sh"))?;
    let reference: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(reference).is_err() {
        if Instant::now() > deadline {
            let _ = node.kill();
            return Err(
                "the reference tus server did not listen within 30 s (npm ci in tests/interop?)"
                    .into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lb = Haproxy::start(&[reference])?;
    let b = measure(
        &format!("https://127.0.0.1:{}", lb.port),
        &s.pin,
        &tokens,
        &sizes,
        concurrency,
    )
    .await?;
    let b_rss = peak_rss(node.id()).unwrap_or(0);
    let _ = node.kill();
    let _ = node.wait();
    drop(lb);

    let mut a = a;
    let mut b = b;
    a.peak_rss = a_rss;
    b.peak_rss = b_rss;
    println!(
        "{:<28} {:>14} {:>26} {:>8}",
        "", "temoin-intake", "@tus/server + s3-store", "ratio"
    );
    let line = |name: &str, ours: f64, theirs: f64, unit: &str, higher_is_better: bool| {
        let ratio = if higher_is_better {
            ours / theirs
        } else {
            theirs / ours
        };
        println!(
            "{name:<28} {:>11.1} {unit:<2} {:>23.1} {unit:<2} {ratio:>8.2}",
            ours, theirs
        );
        ratio
    };
    let tput = line(
        "bundles per second",
        a.bundles_per_sec,
        b.bundles_per_sec,
        "/s",
        true,
    );
    let c50 = line(
        "creation p50",
        ms(percentile(&mut a.creation, 0.5)),
        ms(percentile(&mut b.creation, 0.5)),
        "ms",
        false,
    );
    let c99 = line(
        "creation p99",
        ms(percentile(&mut a.creation, 0.99)),
        ms(percentile(&mut b.creation, 0.99)),
        "ms",
        false,
    );
    let p50 = line(
        "PATCH p50",
        ms(percentile(&mut a.patch, 0.5)),
        ms(percentile(&mut b.patch, 0.5)),
        "ms",
        false,
    );
    let p99 = line(
        "PATCH p99",
        ms(percentile(&mut a.patch, 0.99)),
        ms(percentile(&mut b.patch, 0.99)),
        "ms",
        false,
    );
    let big = line(
        "16 MiB bundle, p50",
        ms(percentile(&mut a.large, 0.5)),
        ms(percentile(&mut b.large, 0.5)),
        "ms",
        false,
    );
    let mem = line(
        "server peak memory",
        a.peak_rss as f64 / MIB as f64,
        b.peak_rss as f64 / MIB as f64,
        "MB",
        false,
    );
    println!(
        "failed bundles: ours {}, reference {}",
        a.failures, b.failures
    );
    report(
        "load: bundles per second against @tus/server + @tus/s3-store",
        &format!("{tput:.2}x"),
        ">= 1",
        tput >= 1.0 && a.failures == 0,
    );
    for (name, r) in [
        ("creation p50", c50),
        ("creation p99", c99),
        ("PATCH p50", p50),
        ("PATCH p99", p99),
        ("16 MiB bundle p50", big),
        ("peak memory", mem),
    ] {
        report(
            &format!("load: {name}, the reference's over ours"),
            &format!("{r:.2}x"),
            ">= 1",
            r >= 1.0,
        );
    }
    drop(bucket);
    drop(pg);
    Ok(())
}

/// p99 of `n` creations by random devices, one after the other.
async fn creations(base: &str, pin: &str, tokens: &[String], n: usize) -> Result<Duration, Error> {
    let http = client(pin)?;
    let mut times = Vec::new();
    for i in 0..n {
        let auth = format!("Bearer {}", tokens[(i * 7919) % tokens.len()]);
        let bundle_id = uuid::Uuid::new_v4().to_string();
        let t = Instant::now();
        let r = http
            .post(format!("{base}/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", &auth)
            .header("Upload-Length", "10000")
            .header(
                "Upload-Metadata",
                temoin_proto::tus::format_metadata(&[("bundle_id", bundle_id.as_bytes())]),
            )
            .send()
            .await?;
        times.push(t.elapsed());
        if r.status().as_u16() != 201 {
            return Err(format!("creation answered {}", r.status()).into());
        }
    }
    Ok(percentile(&mut times, 0.99))
}

/// Adds bundle rows `from..to` (as if received and mostly acknowledged,
/// spread over the devices) straight into the database.
async fn add_bundles(
    intake: &Path,
    postgres: bool,
    from: usize,
    to: usize,
    devices: usize,
) -> Result<(), Error> {
    let mut db = temoin_tests::omct::state_db(intake).await?;
    let series = if postgres {
        format!(
            "SELECT g AS n FROM generate_series({from}, {}) AS g",
            to - 1
        )
    } else {
        format!(
            "WITH RECURSIVE s(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM s WHERE n < {}) \
             SELECT n FROM s",
            to - 1
        )
    };
    let key = if postgres {
        format!("lpad(to_hex(n % {devices}), 16, '0')")
    } else {
        format!("printf('%016x', n % {devices})")
    };
    let sql = format!(
        "INSERT INTO bundles (bundle_id, device_key_id, upload_id, size, sha256, received_at, \
         receipt, acknowledged_at) \
         SELECT 'stored-' || n, {key}, 'upload-' || n, 10000, 'x', '2026-12-01T00:00:00Z', '{{}}', \
         CASE WHEN n % 10 = 0 THEN NULL ELSE 1 END FROM ({series}) AS t"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut db)
        .await?;
    Ok(())
}

async fn growth(dir: &Path, n_devices: usize, stored: usize) -> Result<(), Error> {
    let pg = Cluster::start()?;
    let url = pg.create("growth")?;
    let bin = intake_binary_of("release")?;
    for (engine, database) in [("SQLite", None), ("PostgreSQL", Some(url.as_str()))] {
        let s = site(dir, &format!("growth-{engine}"), database, None)?;
        let server = Instance::start_binary(&bin, &s.config, free_addr()?)?;
        let tokens = devices(&s.intake, n_devices).await?;
        let base = format!("https://{}", server.addr);
        let postgres = database.is_some();
        add_bundles(&s.intake, postgres, 0, 1000, n_devices).await?;
        let small = creations(&base, &s.pin, &tokens, 1000).await?;
        add_bundles(&s.intake, postgres, 1000, stored, n_devices).await?;
        let large = creations(&base, &s.pin, &tokens, 1000).await?;
        let ratio = large.as_secs_f64() / small.as_secs_f64();
        println!(
            "growth ({engine}): creation p99 {:.2} ms with 1,000 bundles stored, {:.2} ms with {stored}",
            ms(small),
            ms(large)
        );
        report(
            &format!("growth ({engine}): creation p99 with {stored} bundles over with 1,000"),
            &format!("{ratio:.2}x"),
            "<= 1.5",
            ratio <= 1.5,
        );
    }
    Ok(())
}
