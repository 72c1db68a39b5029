//! The receipt the intake server signs for a stored bundle. It means
//! "stored", nothing more: the desk's acknowledgement says "received".

use serde::{Deserialize, Serialize};

/// The receipt format's tag.
pub const RECEIPT_V1: &str = "temoin/receipt/v1";

/// The receipt a server signs for a stored bundle.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    /// Always [`RECEIPT_V1`].
    pub v: String,
    /// The bundle's id.
    pub bundle_id: String,
    /// The sending device's key id.
    pub device_key_id: String,
    /// SHA-256 (hex) of the ciphertext stored.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was stored (RFC 3339).
    pub received_at: String,
}
