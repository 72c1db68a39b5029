//! The server folder: its settings, and making a new one (`init`).

use std::path::Path;

use serde::{Deserialize, Serialize};
use temoin_crypto::sign::DeviceKey;

use crate::error::SetupError;
use crate::state::{random_token, sha256_hex, write_durably, write_private};

/// Settings kept in `config.json`. Fields added after the first release
/// take their default when an older file lacks them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Largest bundle accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Most uploads a device may start in an hour.
    pub max_uploads_per_hour: u32,
    /// Most bytes kept in all (finished and in progress).
    pub quota_bytes: u64,
    /// Days a bundle is kept after the desk acknowledges it (0: deleted at
    /// once).
    pub retention_days: u32,
    /// SHA-256 (hex) of the desk's access token.
    pub desk_token_sha256: String,
    /// Where the state is kept: an `sqlite:` or `postgres:` URL. None: the
    /// SQLite file `state.db` in the server folder.
    pub database: Option<String>,
    /// Seconds an unfinished upload may go without a byte before it is
    /// dropped and its reservation released (a day by default).
    pub upload_idle_secs: u64,
    /// Most bytes one device may have reserved by unfinished uploads (their
    /// declared lengths), so that one device cannot take the quota.
    pub max_reserved_bytes_per_device: u64,
    /// Most bytes of one device's bundles stored and not yet acknowledged
    /// by the desk, with its reservations, so that one device cannot fill
    /// the quota between two pulls of the desk.
    pub max_stored_bytes_per_device: u64,
    /// Most failed enrollment attempts an instance answers in a minute.
    pub max_enrollments_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_upload_bytes: 4 * 1024 * 1024 * 1024,
            max_uploads_per_hour: 60,
            quota_bytes: 200 * 1024 * 1024 * 1024,
            retention_days: 0,
            desk_token_sha256: String::new(),
            database: None,
            upload_idle_secs: 24 * 3600,
            max_reserved_bytes_per_device: 8 * 1024 * 1024 * 1024,
            max_stored_bytes_per_device: 16 * 1024 * 1024 * 1024,
            max_enrollments_per_minute: 30,
        }
    }
}

/// Makes a new receipt key in `path`, which must not exist; returns its
/// public half (minisign base64).
pub fn new_receipt_key(path: &Path) -> Result<String, SetupError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    // Made in place, never renamed over anything: the open fails if the
    // name exists (a dangling link included), so two runs at once cannot
    // leave a file holding another key than the one printed.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|why| match why.kind() {
        std::io::ErrorKind::AlreadyExists => SetupError::KeyFileExists(path.to_owned()),
        _ => SetupError::Io(why),
    })?;
    let key = DeviceKey::generate();
    let written = file
        .write_all(key.secret_for_sealing().as_ref())
        .and_then(|()| file.sync_all())
        .and_then(|()| match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => std::fs::File::open(dir)?.sync_all(),
            _ => Ok(()),
        });
    if let Err(why) = written {
        // Not left half written, to be taken for a key.
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(SetupError::Io(why));
    }
    Ok(key.public().to_minisign_base64())
}

/// The public half (minisign base64) of the receipt key in `path`.
pub fn receipt_public_key(path: &Path) -> Result<String, SetupError> {
    let sealed = std::fs::read(path).map_err(|why| SetupError::Unreadable {
        what: "receipt key",
        path: path.to_owned(),
        why,
    })?;
    let key =
        DeviceKey::from_sealed(&sealed).map_err(|_| SetupError::ReceiptKey(path.to_owned()))?;
    Ok(key.public().to_minisign_base64())
}

/// What `init` made.
#[derive(Debug)]
pub struct InitOutcome {
    /// The certificate's pin, for enrollment.
    pub pin: String,
    /// The desk's access token (shown once).
    pub desk_token: String,
}

/// Creates a server folder: TLS certificate and key for `names` (host names
/// or IP addresses devices will use), the receipt key, the desk token. The
/// state's database is made when the server first opens.
pub fn init(
    dir: &Path,
    names: &[String],
    config: Option<Config>,
) -> Result<InitOutcome, SetupError> {
    if dir.join("config.json").exists() {
        return Err(SetupError::Exists);
    }
    for sub in ["tls", "uploads", "store"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let mut sans = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    sans.extend(names.iter().cloned());
    let key = rcgen::KeyPair::generate().map_err(|_| SetupError::Tls)?;
    let params = rcgen::CertificateParams::new(sans).map_err(|_| SetupError::BadName)?;
    let cert = params.self_signed(&key).map_err(|_| SetupError::Tls)?;
    let pin = temoin_proto::pin::pin_of(cert.der());
    write_durably(&dir.join("tls/cert.pem"), cert.pem().as_bytes())?;
    write_private(&dir.join("tls/key.pem"), key.serialize_pem().as_bytes())?;
    let receipt_key = DeviceKey::generate();
    write_private(
        &dir.join("receipt.key"),
        receipt_key.secret_for_sealing().as_ref(),
    )?;
    let desk_token = random_token();
    let mut config = config.unwrap_or_default();
    config.desk_token_sha256 = sha256_hex(&desk_token);
    write_durably(&dir.join("pin.txt"), format!("{pin}\n").as_bytes())?;
    write_durably(
        &dir.join("config.json"),
        &serde_json::to_vec_pretty(&config)?,
    )?;
    Ok(InitOutcome { pin, desk_token })
}
