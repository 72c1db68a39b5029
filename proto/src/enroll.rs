//! Enrollment: a device registers its public key with a one-time token.

use serde::{Deserialize, Serialize};

/// `POST /v1/enroll`.
#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time enrollment token.
    pub token: String,
    /// The device's public key (minisign base64).
    pub public_key: String,
    /// The device's proof to the desk ([`crate::code::device_proof`]),
    /// which the server keeps and relays without being able to check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The device's age recipient, for what the desk seals to it; the
    /// proof binds it to the key, so the server cannot swap it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

/// The server's answer to an enrollment.
#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollAnswer {
    /// The device's key id, as the server files it.
    pub device_key_id: String,
    /// The device's access token for uploads.
    pub access_token: String,
    /// The server's receipt key (minisign base64).
    pub receipt_key: String,
    /// OMCT's root key as the server holds it, once the desk published one.
    pub root_key: Option<String>,
}

// Tokens are bearer secrets: never in `Debug` output.
impl std::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("token", &"<redacted>")
            .field("public_key", &self.public_key)
            .field("proof", &self.proof)
            .field("recipient", &self.recipient)
            .finish()
    }
}

impl std::fmt::Debug for EnrollAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollAnswer")
            .field("device_key_id", &self.device_key_id)
            .field("access_token", &"<redacted>")
            .field("receipt_key", &self.receipt_key)
            .field("root_key", &self.root_key)
            .finish()
    }
}
