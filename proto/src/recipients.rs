//! The recipient list: the age recipients devices seal bundles to, signed
//! by OMCT's root key and relayed by the intake server.

use serde::{Deserialize, Serialize};

use crate::signed::SignedList;

/// The recipient list format's tag.
pub const RECIPIENT_LIST_V1: &str = "temoin/recipient-list/v1";

/// The recipient list as OMCT signs it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecipientList {
    /// Always [`RECIPIENT_LIST_V1`].
    pub v: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// The `age1...` recipients.
    pub recipients: Vec<String>,
    /// The desk's signing key (minisign base64), which signs its
    /// acknowledgements ([`crate::ack`]); vouched for by the root key's
    /// signature over this list. Absent in lists from before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_key: Option<String>,
    /// The intake server's receipt keys (minisign base64) that devices
    /// accept receipts from, vouched for by the root key: how OMCT rotates
    /// the server's receipt key. Empty (and absent in lists from before it
    /// existed): the key each device learned at enrollment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipt_keys: Vec<String>,
}

/// What the desk publishes on the server: the root key and a list it signed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublishRecipients {
    /// OMCT's root public key (minisign base64).
    pub root_key: String,
    /// The signed [`RecipientList`].
    pub list: SignedList,
}
