//! The server's state: devices, enrollment tokens, the recipient list,
//! stored bundles and uploads in progress, and how each is written durably.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_proto::SignedList;

/// A device as the server knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Its minisign public key (base64).
    pub public_key: String,
    /// A label given with the enrollment token.
    pub label: String,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// SHA-256 (hex) of its access token.
    pub access_token_sha256: String,
    /// Unix times of the uploads it started in the last hour.
    #[serde(default)]
    pub recent_uploads: Vec<i64>,
}

/// An enrollment token the desk issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRecord {
    /// A label for the device it is meant for.
    pub label: String,
    /// When it stops working (Unix time).
    pub expires_at: i64,
    /// Whether a device used it.
    pub used: bool,
}

/// The server's mutable state, kept in `state.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerState {
    /// Devices by key id.
    pub devices: BTreeMap<String, DeviceRecord>,
    /// Enrollment tokens by their SHA-256 (hex).
    pub tokens: BTreeMap<String, TokenRecord>,
    /// The recipient list signed by the desk's root key, as published.
    pub recipients: Option<SignedList>,
    /// The desk's root public key (minisign base64), set with the first
    /// recipient list and never replaced through the network.
    pub root_key: Option<String>,
    /// Bundles stored, by bundle id.
    pub bundles: BTreeMap<String, StoredBundle>,
}

/// A finished bundle.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredBundle {
    /// The device that sent it.
    pub device_key_id: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the ciphertext.
    pub sha256: String,
    /// When it was finished (RFC 3339).
    pub received_at: String,
    /// The upload it came through.
    pub upload_id: String,
    /// The signed receipt.
    pub receipt: SignedList,
    /// When the desk acknowledged it, if it did.
    pub acknowledged_at: Option<String>,
}

/// An upload in progress, kept in `uploads/ID.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Upload {
    pub(crate) device_key_id: String,
    pub(crate) bundle_id: String,
    pub(crate) length: u64,
    pub(crate) offset: u64,
    pub(crate) created_at: i64,
    pub(crate) done: bool,
}

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    temoin_crypto::random_bytes(&mut b);
    hex::encode(b)
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Writes a file durably: a new file, fsync'd, renamed over the old one,
/// the folder fsync'd.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_durably_mode(path, bytes, 0o644)
}

/// [`write_durably`] for a secret: the new file is created readable by its
/// owner only, before a byte is written to it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_durably_mode(path, bytes, 0o600)
}

fn write_durably_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
