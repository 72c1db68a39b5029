//! The custody log: append-only, hash-chained, each entry signed by the
//! device key.
//!
//! An entry's body is canonical JSON (fixed field order, written once and
//! kept byte for byte). Its `prev` field is the SHA-256 of the previous body,
//! so the signature over a body also covers the whole chain before it. Each
//! entry is stored sealed under the vault key (its hashes and times are
//! themselves sensitive), bound to its sequence number. Verification walks the
//! chain from the start and names the first entry that does not hold.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_crypto::sign::{DeviceKey, DevicePublicKey, SigningPurpose};

use crate::record::{ItemId, Kind};

/// The body format's tag, first in every body.
pub const BODY_VERSION: &str = "temoin/custody-entry/v1";

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// The vault was created.
    VaultCreated,
    /// An item was created.
    Create,
    /// An item was edited (a new revision).
    Edit,
    /// An item was deleted (its key destroyed).
    Delete,
    /// The original of an evidence item was read for viewing.
    ViewOriginal,
    /// The original of an evidence item was exported.
    ExportOriginal,
    /// The vault's payload key was exported (disaster recovery).
    ExportPayloadKey,
    /// The passphrase was changed (the vault key rewrapped).
    PassphraseChanged,
    /// A case was sealed into a bundle for its recipients.
    ExportBundle,
    /// A bundle reached OMCT's intake server, which signed a receipt.
    Delivered,
    /// OMCT's desk opened and verified a bundle and signed its
    /// acknowledgement (kept in the entry's `receipt`).
    Acknowledged,
    /// OMCT's desk received a bundle and refused it (its signed
    /// acknowledgement, with the reasons, in the entry's `receipt`).
    Flagged,
    /// A message about a case was written here, signed and sealed for the
    /// other side (the SHA-256 of the signed message in the entry's
    /// `sha256`; never its words, which would travel in the case's
    /// bundles).
    MessageSent,
    /// A message about a case arrived from the other side and verified
    /// (the SHA-256 of the signed message in the entry's `sha256`).
    MessageReceived,
}

impl Action {
    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Action::VaultCreated => "vault_created",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::ViewOriginal => "view_original",
            Action::ExportOriginal => "export_original",
            Action::ExportPayloadKey => "export_payload_key",
            Action::PassphraseChanged => "passphrase_changed",
            Action::ExportBundle => "export_bundle",
            Action::Delivered => "delivered",
            Action::Acknowledged => "acknowledged",
            Action::Flagged => "flagged",
            Action::MessageSent => "message_sent",
            Action::MessageReceived => "message_received",
        }
    }
}

/// The signed content of a custody entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyBody {
    /// Always [`BODY_VERSION`].
    pub v: String,
    /// Position in the log, from 0.
    pub seq: u64,
    /// SHA-256 (hex) of the previous entry's body; 64 zeros for the first.
    pub prev: String,
    /// When, in RFC 3339 UTC.
    pub time: String,
    /// The signing device's key id.
    pub device: String,
    /// What happened.
    pub action: Action,
    /// The item concerned.
    pub item: Option<ItemId>,
    /// Its kind.
    pub kind: Option<Kind>,
    /// The case it belongs to.
    pub case: Option<ItemId>,
    /// The revision written, for create and edit.
    pub revision: Option<u32>,
    /// The SHA-256 of the evidence payload concerned.
    pub sha256: Option<String>,
    /// For a working copy: the original it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ItemId>,
    /// For a working copy: the original's SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    /// For a bundle export: which bundle, sealed for whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleNote>,
    /// For a delivery: the intake server's signed receipt, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

/// What a custody entry records of a sealed bundle. The entry's `sha256` is
/// the SHA-256 of the bundle's signed manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleNote {
    /// The bundle's id.
    pub id: String,
    /// The device's sequence number for it.
    pub sequence: u64,
    /// What it is for (`share_with_omct`, `litigation`).
    pub purpose: String,
    /// The recipients' fingerprints.
    pub recipients: Vec<String>,
    /// The part of the case it carried when not the whole (`text`: an
    /// urgent case's records sent ahead of its files). Its delivery is not
    /// the case's: nothing is forgotten on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// What the caller says about an event; the log adds sequence, chain, time
/// and device.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// The item acted on.
    pub item: Option<ItemId>,
    /// Its kind.
    pub kind: Option<Kind>,
    /// The case it belongs to.
    pub case: Option<ItemId>,
    /// The revision written.
    pub revision: Option<u32>,
    /// A SHA-256 the event is about (a payload, a manifest).
    pub sha256: Option<String>,
    /// The item this one derives from (a working copy's original).
    pub source: Option<ItemId>,
    /// That source's SHA-256.
    pub source_sha256: Option<String>,
    /// The bundle exported or delivered.
    pub bundle: Option<BundleNote>,
    /// The receipt that acknowledged it.
    pub receipt: Option<String>,
}

/// One entry as stored: the exact body bytes and their signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyEntry {
    /// The parsed body.
    pub body: CustodyBody,
    /// The body's bytes exactly as signed and hashed.
    pub body_bytes: Vec<u8>,
    /// The minisign signature of `body_bytes`.
    pub signature: String,
}

impl CustodyEntry {
    /// SHA-256 of the body: what the next entry's `prev` must be.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(&self.body_bytes).into()
    }

    /// Encodes for sealing: body length, body, signature.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.body_bytes.len() + self.signature.len());
        out.extend_from_slice(&(self.body_bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.body_bytes);
        out.extend_from_slice(self.signature.as_bytes());
        out
    }

    /// Decodes what [`encode`](Self::encode) wrote. `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<CustodyEntry> {
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let body_bytes = bytes.get(4..4usize.checked_add(len)?)?.to_vec();
        let signature = std::str::from_utf8(bytes.get(4 + len..)?).ok()?.to_owned();
        let body: CustodyBody = serde_json::from_slice(&body_bytes).ok()?;
        Some(CustodyEntry {
            body,
            body_bytes,
            signature,
        })
    }

    /// Builds and signs the next entry.
    pub fn new(
        device: &DeviceKey,
        seq: u64,
        prev: [u8; 32],
        action: Action,
        event: Event,
    ) -> CustodyEntry {
        let time = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let body = CustodyBody {
            v: BODY_VERSION.to_owned(),
            seq,
            prev: hex::encode(prev),
            time,
            device: device.public().id_hex(),
            action,
            item: event.item,
            kind: event.kind,
            case: event.case,
            revision: event.revision,
            sha256: event.sha256,
            source: event.source,
            source_sha256: event.source_sha256,
            bundle: event.bundle,
            receipt: event.receipt,
        };
        let body_bytes =
            serde_json::to_vec(&body).expect("a custody body of plain fields always serialises");
        let signature = device.sign(SigningPurpose::CustodyEntry, &body_bytes);
        CustodyEntry {
            body,
            body_bytes,
            signature,
        }
    }

    /// Checks this entry against its position, the previous hash and the
    /// device key.
    pub fn check(
        &self,
        seq: u64,
        prev: &[u8; 32],
        device: &DevicePublicKey,
    ) -> Result<(), ChainBreak> {
        if self.body.v != BODY_VERSION {
            return Err(ChainBreak::Malformed);
        }
        if self.body.seq != seq {
            return Err(ChainBreak::OutOfOrder);
        }
        if self.body.prev != hex::encode(prev) {
            return Err(ChainBreak::PrevMismatch);
        }
        device
            .verify(
                SigningPurpose::CustodyEntry,
                &self.body_bytes,
                &self.signature,
            )
            .map_err(|_| ChainBreak::BadSignature)
    }
}

/// Why a custody entry breaks the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainBreak {
    /// The entry does not decrypt: damaged or not ours.
    #[error("the entry cannot be decrypted (damaged)")]
    Unreadable,
    /// Decrypted but not a custody entry.
    #[error("the entry is malformed")]
    Malformed,
    /// Its sequence number is not its position: entries were moved or removed.
    #[error("the entry is out of order (entries were removed or moved)")]
    OutOfOrder,
    /// Its `prev` is not the hash of the entry before it.
    #[error("the entry does not follow from the one before it (an earlier entry was altered)")]
    PrevMismatch,
    /// The signature does not verify with the device key.
    #[error("the entry's signature does not verify")]
    BadSignature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_of_three_verifies_and_each_break_is_named() {
        let dev = DeviceKey::generate();
        let pk = dev.public();
        let e0 = CustodyEntry::new(&dev, 0, [0; 32], Action::VaultCreated, Event::default());
        let e1 = CustodyEntry::new(&dev, 1, e0.hash(), Action::Create, Event::default());
        e0.check(0, &[0; 32], &pk).unwrap();
        e1.check(1, &e0.hash(), &pk).unwrap();
        assert_eq!(e1.check(2, &e0.hash(), &pk), Err(ChainBreak::OutOfOrder));
        assert_eq!(e1.check(1, &[9; 32], &pk), Err(ChainBreak::PrevMismatch));
        assert_eq!(
            e1.check(1, &e0.hash(), &DeviceKey::generate().public()),
            Err(ChainBreak::BadSignature)
        );
        let back = CustodyEntry::decode(&e1.encode()).unwrap();
        assert_eq!(back, e1);
        assert!(CustodyEntry::decode(&[0, 0, 0, 99, 1]).is_none());
        assert!(CustodyEntry::decode(&[]).is_none());
    }

    #[test]
    fn an_edited_body_fails_its_signature() {
        let dev = DeviceKey::generate();
        let mut e = CustodyEntry::new(&dev, 0, [0; 32], Action::Create, Event::default());
        let text = String::from_utf8(e.body_bytes.clone())
            .unwrap()
            .replace("\"create\"", "\"delete\"");
        e.body_bytes = text.into_bytes();
        assert_eq!(
            e.check(0, &[0; 32], &dev.public()),
            Err(ChainBreak::BadSignature)
        );
    }
}
