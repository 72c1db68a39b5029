//! What the desk and the intake server say to each other: enrollment
//! tokens, the device list, the bundles waiting.

use serde::{Deserialize, Serialize};

/// `POST /v1/desk/tokens`: a one-time enrollment token for a device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRequest {
    /// A label for the device it is meant for.
    pub label: String,
    /// How long it stays valid, in hours (at most 30 days).
    #[serde(default = "default_hours")]
    pub valid_hours: u32,
    /// The SHA-256 (hex) of a token the desk made itself: the server
    /// learns the token only when a device uses it. Without it the server
    /// makes one and answers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
}

fn default_hours() -> u32 {
    72
}

/// The token made.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenAnswer {
    /// The token the server made, shown once (none when the desk sent the
    /// hash of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

// The token is a bearer secret: never in `Debug` output.
impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenAnswer { token: <redacted> }")
    }
}

/// One device as the server lists it: a hint for the desk, never proof.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceListing {
    /// The key id.
    pub key_id: String,
    /// The public key (minisign base64).
    pub public_key: String,
    /// The label given with its enrollment token.
    pub label: String,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// The SHA-256 of the enrollment token it used.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// Its proof to the desk, as it sent it.
    #[serde(default)]
    pub proof: Option<String>,
    /// Its age recipient, as it sent it (bound by the proof).
    #[serde(default)]
    pub recipient: Option<String>,
}

/// One stored bundle the desk has not acknowledged.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundleListing {
    /// The bundle's id.
    pub bundle_id: String,
    /// The sending device's key id.
    pub device_key_id: String,
    /// That device's public key as the server knows it.
    pub device_public_key: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the ciphertext.
    pub sha256: String,
    /// When it was stored (RFC 3339).
    pub received_at: String,
}

/// `POST /v1/desk/officers`: another officer's desk, which may fetch every
/// bundle with its own token (the server gets its hash only).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OfficerRequest {
    /// A random id (UUID v4) the desk gave the officer.
    pub officer_id: String,
    /// Who or where (Brussels, Tunis).
    pub label: String,
    /// The SHA-256 (hex) of the officer's token.
    pub token_sha256: String,
}

/// One officer as the server lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfficerListing {
    /// The officer's id.
    pub officer_id: String,
    /// Its label.
    pub label: String,
    /// When it was added (Unix time).
    pub added_at: i64,
}

/// The version tag of [`DeviceRegistry`].
pub const DEVICE_REGISTRY_V1: &str = "temoin/device-registry/v1";

/// The devices OMCT's desk approved and revoked, signed with the root key
/// (`SigningPurpose::DeviceRegistry`) and kept on the intake server for
/// the other officers' desks, which take a device only from it: the server
/// can withhold a newer one, never make or change one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceRegistry {
    /// Always [`DEVICE_REGISTRY_V1`].
    pub v: String,
    /// When it was signed (RFC 3339): an officer's desk never takes one
    /// older than the one it has.
    pub issued_at: String,
    /// Every device approved, revoked ones included.
    pub devices: Vec<RegisteredDevice>,
}

/// One device of a [`DeviceRegistry`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RegisteredDevice {
    /// Its key id (16 hex digits).
    pub key_id: String,
    /// Its signing key (minisign base64).
    pub public_key: String,
    /// The label its code was issued for.
    pub label: String,
    /// Its age recipient, if it gave one.
    #[serde(default)]
    pub recipient: Option<String>,
    /// When it was revoked (RFC 3339), if it was.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// The version tag of [`OfficerCode`].
pub const OFFICER_CODE_V1: &str = "temoin/officer-code/v1";

/// What an officer's desk needs to join OMCT's desk: the server, its
/// certificate pin, the officer's own token and id, and OMCT's root key
/// (which signs the recipient list and the device registry). Handed over
/// as a file, like the desk token.
#[derive(Clone, Serialize, Deserialize)]
pub struct OfficerCode {
    /// Always [`OFFICER_CODE_V1`].
    pub v: String,
    /// The intake server's URL.
    pub server: String,
    /// Its certificate pin (`sha256:...`).
    pub pin: String,
    /// The officer's id.
    pub officer_id: String,
    /// The officer's token (a bearer secret).
    pub token: String,
    /// OMCT's root public key (minisign base64).
    pub root_key: String,
    /// When the device registry published with the code was signed: the
    /// officer's desk takes none older, so a server cannot hand a new
    /// officer an old registry that still approves a device revoked since.
    #[serde(default)]
    pub registry_issued_at: Option<String>,
}

// The token is a bearer secret: never in `Debug` output.
impl std::fmt::Debug for OfficerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficerCode")
            .field("server", &self.server)
            .field("officer_id", &self.officer_id)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}
