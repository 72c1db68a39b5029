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
