//! A throwaway PostgreSQL cluster for the fleet's tests: Debian's server
//! binaries (`initdb`, `pg_ctl` from `/usr/lib/postgresql/N/bin`), a
//! cluster in a temporary folder listening on a free loopback port, no
//! system service. Run as the `postgres` user through `runuser` when the
//! tests run as root, since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A running cluster; stopped (immediately) when dropped.
#[derive(Debug)]
pub struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

/// The folder of the newest installed PostgreSQL server's binaries.
fn server_bin() -> Result<PathBuf, Error> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| missing())?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).ok_or_else(missing)
}

fn missing() -> Error {
    "the PostgreSQL server is not installed (no /usr/lib/postgresql/N/bin/initdb): \
     run scripts/deps.sh, which installs Debian's postgresql package"
        .into()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

impl Cluster {
    /// Makes and starts a cluster; `trust` authentication on loopback only.
    pub fn start() -> Result<Cluster, Error> {
        let bin = server_bin()?;
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        let as_postgres = is_root();
        if as_postgres {
            // The postgres user must own the folder and reach it.
            run(Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path()))?;
        }
        let port = free_port()?;
        let c = Cluster {
            _dir: dir,
            data,
            bin,
            as_postgres,
            port,
        };
        c.pg(
            "initdb",
            &[
                "-D",
                &c.data.to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        c.restart()?;
        Ok(c)
    }

    /// The URL of database `name` (created by [`Cluster::create`]).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database.
    pub fn create(&self, name: &str) -> Result<String, Error> {
        let port = self.port.to_string();
        self.pg(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        )?;
        Ok(self.url(name))
    }

    /// Stops the server (fast shutdown: sessions end, data is kept).
    pub fn stop(&self) -> Result<(), Error> {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
    }

    /// Starts it (again, after [`Cluster::stop`]) on its port.
    pub fn restart(&self) -> Result<(), Error> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
             -c max_connections=200",
            self.port,
            self.data.display()
        );
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-o",
                &options,
                "-l",
                &self.data.join("log").to_string_lossy(),
                "-w",
                "start",
            ],
        )
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), Error> {
        let path = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        cmd.args(args)
            .current_dir(self.data.parent().unwrap_or(Path::new("/")));
        run(&mut cmd)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "immediate",
                "stop",
            ],
        );
    }
}

fn run(cmd: &mut Command) -> Result<(), Error> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}{}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

pub(crate) fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
