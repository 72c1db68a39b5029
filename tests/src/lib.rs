//! Shared pieces of Témoin's cross-crate suites and benchmarks: running a
//! child process with its peak memory, percentiles, and printing a
//! measurement beside its same-run reference.
//!
//! A benchmark here never asserts on time: it prints figures and ratios
//! against a reference measured in the same run (DESIGN §6, STYLE 9).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};
use temoin_vault::case::{Case, Consent, ConsentScope, Testimony};
use temoin_vault::{ItemId, KdfChoice, PartialDate, Passphrase, Vault};

/// What a child process cost.
#[derive(Clone, Copy, Debug)]
pub struct ChildCost {
    /// Wall-clock time from spawn to exit.
    pub elapsed: Duration,
    /// Peak resident memory, in KiB.
    pub max_rss_kib: u64,
    /// Whether it exited with status 0.
    pub success: bool,
}

/// Runs a command to completion and reports its time and peak memory.
///
/// The command runs under GNU `time` (`/usr/bin/time -f %M`), whose small
/// process is the one that forks it. Measuring with `wait4` from here would
/// not do: Linux carries the forking process's peak memory over into the
/// child's across `exec`, so every child would report at least this
/// benchmark's own peak.
pub fn run_measured(cmd: &Command) -> std::io::Result<ChildCost> {
    let report = std::env::temp_dir().join(format!("temoin-bench-rss-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let start = Instant::now();
    let status = timed.status().map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot run /usr/bin/time (Debian package `time`; make bench installs it): {e}"
            ),
        )
    })?;
    let elapsed = start.elapsed();
    let text = std::fs::read_to_string(&report)?;
    let _ = std::fs::remove_file(&report);
    let max_rss_kib = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .ok_or_else(|| std::io::Error::other("GNU time printed no peak memory"))?;
    Ok(ChildCost {
        elapsed,
        max_rss_kib,
        success: status.success(),
    })
}

/// The `p`-th percentile (0–100) of some durations.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A tool `make bench` installs under `target/tools/bin` (rage), or the
/// one on PATH.
pub fn find_tool(name: &str, root: &Path) -> PathBuf {
    let local = root.join("target/tools/bin").join(name);
    if local.exists() {
        return local;
    }
    PathBuf::from(name)
}

/// Prints one result line in a fixed, greppable form.
pub fn report(name: &str, value: &str, budget: &str, verdict: bool) {
    println!(
        "{name:<44} {value:<40} budget {budget:<14} {}",
        if verdict { "within" } else { "OVER" }
    );
}

pub mod fleet;
pub mod postgres;

/// OMCT's side, running on loopback for the cross-crate suites and the
/// upload benchmark: a real intake server, and a desk set up on it.
pub mod omct {
    pub use crate::desk::PASSPHRASE as DESK_PASSPHRASE;
    use std::net::SocketAddr;
    use std::path::{Path, PathBuf};

    use temoin_intake::{Config, InitOutcome};
    use temoin_proto::code::EnrollmentCode;
    use temoin_sync::client::Endpoint;

    type Error = Box<dyn std::error::Error + Send + Sync>;

    /// Makes an intake server folder in `dir` and serves it on a free
    /// loopback port until the runtime ends. Returns its address and what
    /// `init` made (the pin, the desk token).
    pub async fn start_intake(
        dir: &Path,
        config: Option<Config>,
    ) -> Result<(SocketAddr, InitOutcome), Error> {
        let init = temoin_intake::init(dir, &[], config)?;
        Ok((serve_intake(dir).await?, init))
    }

    /// Serves the intake server folder `dir` on a free loopback port until
    /// the runtime ends; its address, or why it did not start.
    pub async fn serve_intake(dir: &Path) -> Result<SocketAddr, Error> {
        let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
        let d = dir.to_owned();
        let task = tokio::spawn(async move {
            temoin_intake::serve(&d, ([127, 0, 0, 1], 0).into(), move |a| {
                let _ = tx.send(a);
            })
            .await
        });
        match rx.await {
            Ok(addr) => Ok(addr),
            Err(_) => match task.await? {
                Err(e) => Err(e.into()),
                Ok(()) => Err("the intake server stopped at once".into()),
            },
        }
    }

    /// An intake server in a runtime of its own, which [`Stoppable::stop`]
    /// ends the way a stopped process ends: every task dropped, its
    /// listener closed and its folder's lock released. For tests that
    /// restart a server with other settings.
    #[derive(Debug)]
    pub struct Stoppable {
        /// Its address.
        pub addr: SocketAddr,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Stoppable {
        /// Serves what `settings` describe on a thread of its own; its
        /// address once it listens, or why it did not start.
        pub fn start(settings: temoin_intake::ServeSettings) -> Result<Stoppable, Error> {
            let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, String>>();
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let thread = std::thread::spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let on_ready = ready_tx.clone();
                rt.block_on(async move {
                    tokio::select! {
                        r = temoin_intake::serve_with(&settings, move |a| {
                            let _ = on_ready.send(Ok(a));
                        }) => {
                            let why = r.err().map_or("the server stopped at once".into(), |e| e.to_string());
                            let _ = ready_tx.send(Err(why));
                        }
                        _ = stop_rx => {}
                    }
                });
                // Dropped here, on this thread: the runtime's tasks go
                // with it, the server's listener and lock among them.
                drop(rt);
            });
            match ready_rx.recv() {
                Ok(Ok(addr)) => Ok(Stoppable {
                    addr,
                    stop: Some(stop_tx),
                    thread: Some(thread),
                }),
                Ok(Err(why)) => Err(why.into()),
                Err(_) => Err("the intake server's thread ended".into()),
            }
        }

        /// Stops the server and waits until it is gone.
        pub fn stop(mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            if let Some(t) = self.thread.take() {
                let _ = tokio::task::block_in_place(|| t.join());
            }
        }
    }

    /// A connection to the state database of the intake server in `dir`:
    /// the one its configuration names, or its own SQLite file. For tests
    /// that play a crash or look at rows.
    pub async fn state_db(dir: &Path) -> Result<sqlx::AnyConnection, Error> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)?;
        let url = config
            .database
            .unwrap_or_else(|| format!("sqlite://{}", dir.join("state.db").display()));
        Ok(sqlx::AnyConnection::connect(&url).await?)
    }

    /// An intake server in `root/intake` and a desk in `root/desk` on it.
    #[derive(Debug)]
    pub struct Omct {
        /// The server's address.
        pub addr: SocketAddr,
        /// How devices and the desk reach it (pinned, direct).
        pub endpoint: Endpoint,
        /// The intake server's folder.
        pub intake: PathBuf,
        /// The desk's folder.
        pub desk: PathBuf,
        /// OMCT's age recipient, as the desk made it.
        pub recipient: String,
        /// The desk's access token to the server (for tests that play a
        /// server whose operator has it).
        pub desk_token: String,
    }

    /// An enrollment code the desk in `desk` issues for `label`.
    pub async fn code(desk: &Path, label: &str) -> Result<EnrollmentCode, Error> {
        let issued = crate::desk::unlock(desk)?.enroll(label, 24).await?;
        Ok(EnrollmentCode::parse(&issued.code)?)
    }

    /// Enrolls the device key `public_key` with `code` through `endpoint`
    /// (which may be a proxy in front of the code's server), as the device
    /// does: with an age recipient of its own and its proof for the desk,
    /// the root key checked.
    pub async fn enroll_at(
        endpoint: Endpoint,
        code: &EnrollmentCode,
        public_key: &str,
    ) -> Result<temoin_sync::client::Enrollment, temoin_sync::client::SyncError> {
        let recipient = temoin_bundle::PayloadIdentity::generate()
            .recipient()
            .to_string();
        enroll_with(endpoint, code, public_key, &recipient).await
    }

    /// [`enroll_at`] with the device's age recipient given.
    pub async fn enroll_with(
        endpoint: Endpoint,
        code: &EnrollmentCode,
        public_key: &str,
        recipient: &str,
    ) -> Result<temoin_sync::client::Enrollment, temoin_sync::client::SyncError> {
        temoin_sync::client::enroll(
            endpoint,
            &code.token,
            public_key,
            Some(recipient),
            Some(temoin_proto::code::device_proof(
                &code.secret,
                public_key,
                recipient,
            )),
            &code.root_fingerprint,
        )
        .await
    }

    /// Enrolls `vault`'s device through `endpoint` with a code the desk in
    /// `desk` issues, and saves the enrollment in the vault.
    pub async fn enroll(
        desk: &Path,
        endpoint: &Endpoint,
        vault: &mut temoin_vault::Vault,
        label: &str,
    ) -> Result<temoin_sync::client::Enrollment, Error> {
        let code = code(desk, label).await?;
        let recipient = temoin_sync::outbox::device_recipient(vault)?;
        let e = enroll_with(
            endpoint.clone(),
            &code,
            &vault.device_public_key().to_minisign_base64(),
            &recipient,
        )
        .await?;
        temoin_sync::outbox::save_new_enrollment(vault, &e)?;
        Ok(e)
    }

    /// Starts the server and sets up the desk.
    pub async fn start(root: &Path, config: Option<Config>) -> Result<Omct, Error> {
        let intake = root.join("intake");
        let (addr, init) = start_intake(&intake, config).await?;
        let endpoint = Endpoint {
            url: format!("https://{addr}"),
            pin: init.pin,
            proxy: None,
            timeout_secs: None,
        };
        let desk = root.join("desk");
        let recipient = crate::desk::init(&desk, endpoint.clone(), &init.desk_token).await?;
        Ok(Omct {
            addr,
            endpoint,
            intake,
            desk,
            recipient,
            desk_token: init.desk_token,
        })
    }
}

/// The desk as each `temoin desk` command uses it: its store unlocked
/// with the tests' passphrase for one call, then locked again (so that a
/// CLI binary run between two calls finds it free).
pub mod desk {
    use std::path::Path;

    pub use temoin_desk::*;
    use temoin_sync::client::Endpoint;

    /// The passphrase of every desk the tests make (`--passphrase-file`
    /// of the CLI runs holds it too).
    pub const PASSPHRASE: &str = "desk passphrase for the tests";

    /// The desk in `dir`, unlocked.
    pub fn unlock(dir: &Path) -> Result<Desk, DeskError> {
        Desk::unlock(dir, &Passphrase::from(PASSPHRASE))
    }

    /// `desk init` on the server at `endpoint`: OMCT's recipient.
    pub async fn init(dir: &Path, endpoint: Endpoint, token: &str) -> Result<String, DeskError> {
        let p = Passphrase::from(PASSPHRASE);
        let server = Some((endpoint, token.to_owned()));
        Ok(Desk::create(dir, &p, KdfChoice::Minimum, server).await?.1)
    }

    /// `desk pull`.
    pub async fn pull(dir: &Path) -> Result<Vec<String>, DeskError> {
        unlock(dir)?.pull().await
    }

    /// `desk open`.
    pub fn open(dir: &Path, only: Option<&Path>) -> Result<Vec<Opened>, DeskError> {
        unlock(dir)?.open(only)
    }

    /// `desk rotate`.
    pub async fn rotate(dir: &Path) -> Result<String, DeskError> {
        unlock(dir)?.rotate().await
    }

    /// `desk revoke`.
    pub async fn revoke(dir: &Path, key_id: &str) -> Result<(), DeskError> {
        unlock(dir)?.revoke(key_id).await
    }

    /// The relay `desk open` and `desk pull` do.
    pub async fn relay_acks(dir: &Path) -> Result<usize, DeskError> {
        unlock(dir)?.relay_acks().await
    }

    /// `desk devices`.
    pub fn devices(dir: &Path) -> Result<Vec<DeviceRow>, DeskError> {
        unlock(dir)?.devices()
    }

    /// The warnings `desk devices` prints.
    pub fn warnings(dir: &Path) -> Result<Vec<String>, DeskError> {
        unlock(dir)?.warnings()
    }

    /// `desk ack-file`.
    pub fn ack_file(dir: &Path, bundle_id: &str, out: &Path) -> Result<(), DeskError> {
        unlock(dir)?.ack_file(bundle_id, out)
    }
}

/// Reads `--name VALUE` from the command line, or `default` when absent;
/// a value that does not parse is an error naming the option.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a valid value")),
    }
}

/// A vault with a case that OMCT may receive: consent, a testimony, and an
/// evidence file of `evidence_bytes` random bytes.
pub fn field_vault(dir: &Path, evidence_bytes: usize) -> (Vault, ItemId, Vec<u8>) {
    let mut v =
        Vault::create(dir, &Passphrase::from("p"), KdfChoice::Minimum).expect("a test vault");
    let case = v
        .add(&Case::new("Detention at the border"))
        .expect("a test vault");
    v.add(&Consent::new(
        case,
        "the family",
        PartialDate("2024-03-05".into()),
        vec![ConsentScope::ShareWithOmct],
    ))
    .expect("a test vault");
    v.add(&Testimony::new(case, "He was held for nine days."))
        .expect("a test vault");
    let mut bytes = vec![0u8; evidence_bytes];
    temoin_crypto::random_bytes(&mut bytes);
    let file = dir.with_extension("evidence.bin");
    std::fs::write(&file, &bytes).expect("a test vault");
    v.ingest_file(case, &file, &mut |_| {})
        .expect("a test vault");
    (v, case, bytes)
}

/// CPU time used so far by this process (all its threads) and by its
/// children that were waited for, in seconds, from `/proc/self/stat`
/// (user + system, in clock ticks of 1/100 s on Linux).
pub fn cpu_seconds() -> std::io::Result<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| std::io::Error::other("unreadable /proc/self/stat"))?;
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17: 11-14 after the name.
    let tick = 100.0;
    Ok(((f[11] + f[12]) / tick, (f[13] + f[14]) / tick))
}
