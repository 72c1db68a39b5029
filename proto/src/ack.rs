//! The desk's acknowledgement: OMCT's desk says it received, opened and
//! verified a bundle (or refused it, and why), signed with the desk key
//! that the root-signed recipient list names. The intake server relays it
//! and cannot make one; a device forgets a case only on an accepted one.

use serde::{Deserialize, Serialize};

/// The acknowledgement format's tag.
pub const DESK_ACK_V1: &str = "temoin/desk-ack/v1";

/// What the desk concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Intact, genuine, from an approved device: OMCT has it.
    Accepted,
    /// Received but refused (forged, tampered, unknown or revoked device,
    /// a replay); `reasons` says why. The device must not forget the case.
    Flagged,
}

/// An acknowledgement as the desk signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskAck {
    /// Always [`DESK_ACK_V1`].
    pub v: String,
    /// The bundle's id.
    pub bundle_id: String,
    /// The device key id that signed the bundle's manifest, as the desk
    /// verified it (empty if the bundle could not be read).
    pub device_key_id: String,
    /// SHA-256 (hex) of the ciphertext the desk opened.
    pub sha256: String,
    /// SHA-256 (hex) of the bundle's manifest (empty if none was read).
    pub manifest_sha256: String,
    /// What the desk concluded.
    pub verdict: Verdict,
    /// Why it was flagged (empty when accepted).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// When the desk signed it (RFC 3339).
    pub acknowledged_at: String,
}
