//! The intake server's commands (`init`, `serve`), shared by the
//! `temoin-intake` binary and the `temoin intake` wrapper.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use crate::config::{init, Config};
use crate::error::SetupError;
use crate::settings::{ServeFlags, ServeSettings};

/// What to do.
#[derive(Subcommand, Debug)]
pub enum IntakeCommand {
    /// Create an intake server folder: its TLS certificate (the pin is
    /// printed, for enrolling devices), its receipt key and the desk's
    /// access token (printed, and written to DIR/desk.token).
    Init {
        /// The folder to create.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// A host name or IP address devices will reach it by (besides
        /// localhost); repeatable.
        #[arg(long = "name", value_name = "HOST")]
        names: Vec<String>,
        /// Largest bundle accepted, in MiB.
        #[arg(long, default_value_t = 4096)]
        max_upload_mib: u64,
        /// Most uploads a device may start in an hour.
        #[arg(long, default_value_t = 60)]
        max_uploads_per_hour: u32,
        /// Disk quota for everything stored, in GiB.
        #[arg(long, default_value_t = 200)]
        quota_gib: u64,
        /// Days to keep a bundle after the desk acknowledged it (0: delete
        /// at once).
        #[arg(long, default_value_t = 0)]
        retention_days: u32,
    },
    /// Print a receipt key file's public half, as OMCT's desk names it to
    /// devices (`temoin desk receipt-keys`); with --new, make a new key in
    /// that file first. Rotating the receipt key: docs/deploy.md, section 7.
    ReceiptKey {
        /// The receipt key file (the server folder's receipt.key, or the
        /// configuration file's [receipt] key).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Make a new key in FILE, which must not exist.
        #[arg(long)]
        new: bool,
    },
    /// Serve over HTTPS until stopped.
    ///
    /// The settings come from the configuration file (--config), if one is
    /// given; --dir and --listen, when given, override what it says.
    Serve {
        /// A configuration file (TOML), documented field by field in the
        /// source's intake/temoin-intake.example.toml and docs/deploy.md.
        /// Flags given beside it win.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The server folder (overrides the file's [server] dir).
        #[arg(long, value_name = "DIR", required_unless_present = "config")]
        dir: Option<PathBuf>,
        /// Address and port to listen on (overrides the file's [server]
        /// listen) [default: 0.0.0.0:8443].
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
}

/// What `init --json` prints.
#[derive(Serialize)]
struct InitJson<'a> {
    pin: &'a str,
    desk_token_file: &'a std::path::Path,
}

/// Runs a command; `json` asks for machine-readable output.
pub fn run(c: &IntakeCommand, json: bool) -> Result<(), SetupError> {
    match c {
        IntakeCommand::Init {
            dir,
            names,
            max_upload_mib,
            max_uploads_per_hour,
            quota_gib,
            retention_days,
        } => {
            let out = init(
                dir,
                names,
                Some(Config {
                    max_upload_bytes: max_upload_mib.saturating_mul(1024 * 1024),
                    max_uploads_per_hour: *max_uploads_per_hour,
                    quota_bytes: quota_gib.saturating_mul(1024 * 1024 * 1024),
                    retention_days: *retention_days,
                    ..Config::default()
                }),
            )?;
            let token_file = dir.join("desk.token");
            write_token(&token_file, &out.desk_token)?;
            if json {
                let text = serde_json::to_string_pretty(&InitJson {
                    pin: &out.pin,
                    desk_token_file: &token_file,
                })?;
                println!("{text}");
            } else {
                println!("Intake server created in {}.", dir.display());
                println!("Certificate pin (give it to devices with their enrollment token):");
                println!("  {}", out.pin);
                println!(
                    "The desk's access token is in {} (keep it secret).",
                    token_file.display()
                );
            }
            Ok(())
        }
        IntakeCommand::ReceiptKey { file, new } => {
            let public = if *new {
                crate::config::new_receipt_key(file)?
            } else {
                crate::config::receipt_public_key(file)?
            };
            if json {
                println!("{}", serde_json::json!({ "receipt_key": public }));
            } else {
                if *new {
                    println!("New receipt key written to {}.", file.display());
                }
                println!("Its public half (for `temoin desk receipt-keys`):");
                println!("  {public}");
            }
            Ok(())
        }
        IntakeCommand::Serve {
            config,
            dir,
            listen,
        } => {
            let settings = ServeSettings::resolve(&ServeFlags {
                config: config.clone(),
                dir: dir.clone(),
                listen: *listen,
            })?;
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(async move {
                    crate::serve_with(&settings, |addr| {
                        println!("Intake server listening on https://{addr}");
                    })
                    .await
                })
        }
    }
}

/// Writes the desk's token readable by its owner only, never over a file.
fn write_token(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    writeln!(f, "{token}")?;
    f.sync_all()
}
