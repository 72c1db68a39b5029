//! A signed JSON document as it travels: the exact bytes and a minisign
//! signature over them (receipts, recipient lists).

use serde::{Deserialize, Serialize};

/// A document and its signature.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedList {
    /// The document's exact bytes (JSON), as signed.
    pub list: String,
    /// The minisign signature.
    pub signature: String,
}
