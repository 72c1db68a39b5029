//! Authenticated sealing of small values with XChaCha20-Poly1305.
//!
//! A sealed value is `nonce (24 bytes) || ciphertext || tag (16 bytes)`. The
//! nonce is random (192 bits makes collisions a non-issue for any number of
//! records a vault will hold). The associated data is never free-form: it is
//! built from an [`Aad`] value, so every ciphertext is bound to what it is and
//! where it belongs, and cannot be moved to another record, revision, slot or
//! vault without failing to open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

/// Bytes a sealed value adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + 16;
const NONCE_LEN: usize = 24;

/// Why a sealed value did not open. Deliberately coarse: a wrong key and a
/// damaged ciphertext look the same, and say nothing about the plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum SealError {
    /// Wrong key, wrong binding, or damaged bytes.
    #[error("the data could not be decrypted: wrong key, or the data is damaged")]
    Open,
    /// Shorter than a nonce and a tag: truncated.
    #[error("the data is truncated")]
    Truncated,
}

/// What a sealed record is: its vault, item, kind, schema version and
/// revision. All of it goes into the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordAad {
    /// The vault's id.
    pub vault_id: [u8; 16],
    /// The item's id.
    pub item_id: [u8; 16],
    /// The record kind's numeric code.
    pub kind: u16,
    /// The schema version the plaintext was written with.
    pub schema: u16,
    /// The revision number (0 for the first).
    pub revision: u32,
}

/// What a value sealed directly under a key is, for the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Aad<'a> {
    /// The vault key wrapped by an unlock slot.
    Slot {
        /// The vault's id.
        vault_id: [u8; 16],
        /// The slot's id.
        slot_id: [u8; 16],
        /// The slot's kind, as stored (`"passphrase"`, ...).
        kind: &'a str,
    },
    /// An item key wrapped by the vault key.
    ItemKey {
        /// The vault's id.
        vault_id: [u8; 16],
        /// The item's id.
        item_id: [u8; 16],
    },
    /// A record revision sealed under its item key.
    Record(RecordAad),
    /// An item's preview image (a thumbnail), sealed under its item key.
    Preview {
        /// The vault's id.
        vault_id: [u8; 16],
        /// The item's id.
        item_id: [u8; 16],
    },
    /// A custody log entry sealed under the vault key.
    Custody {
        /// The vault's id.
        vault_id: [u8; 16],
        /// The entry's sequence number.
        seq: u64,
    },
    /// A named vault-wide secret or setting (the payload identity, the
    /// device key, ...), sealed under the vault key.
    Named {
        /// The vault's id.
        vault_id: [u8; 16],
        /// What it is; a fixed string chosen by the caller.
        name: &'static str,
    },
    /// A piece of state kept by a layer above the vault (the outbox of
    /// submissions, enrollment), sealed under the vault key under its key.
    State {
        /// The vault's id.
        vault_id: [u8; 16],
        /// Its key, as stored.
        key: &'a str,
    },
    /// A state value stored under the tag of its name (the name is sealed
    /// inside, never a store key).
    TaggedState {
        /// The vault's id.
        vault_id: [u8; 16],
        /// The name's tag (`VaultKey::name_tag`).
        tag: [u8; 16],
    },
}

impl Aad<'_> {
    /// The associated data bytes: a domain tag, then fixed-width fields, with
    /// the one variable-length field length-prefixed.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        match self {
            Aad::Slot {
                vault_id,
                slot_id,
                kind,
            } => {
                out.extend_from_slice(b"temoin/slot/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(slot_id);
                out.extend_from_slice(&(kind.len() as u32).to_be_bytes());
                out.extend_from_slice(kind.as_bytes());
            }
            Aad::ItemKey { vault_id, item_id } => {
                out.extend_from_slice(b"temoin/item-key/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(item_id);
            }
            Aad::Record(r) => {
                out.extend_from_slice(b"temoin/record/v1\0");
                out.extend_from_slice(&r.vault_id);
                out.extend_from_slice(&r.item_id);
                out.extend_from_slice(&r.kind.to_be_bytes());
                out.extend_from_slice(&r.schema.to_be_bytes());
                out.extend_from_slice(&r.revision.to_be_bytes());
            }
            Aad::Preview { vault_id, item_id } => {
                out.extend_from_slice(b"temoin/preview/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(item_id);
            }
            Aad::Custody { vault_id, seq } => {
                out.extend_from_slice(b"temoin/custody/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(&seq.to_be_bytes());
            }
            Aad::Named { vault_id, name } => {
                out.extend_from_slice(b"temoin/named/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(&(name.len() as u32).to_be_bytes());
                out.extend_from_slice(name.as_bytes());
            }
            Aad::State { vault_id, key } => {
                out.extend_from_slice(b"temoin/state/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(&(key.len() as u32).to_be_bytes());
                out.extend_from_slice(key.as_bytes());
            }
            Aad::TaggedState { vault_id, tag } => {
                out.extend_from_slice(b"temoin/state-tag/v1\0");
                out.extend_from_slice(vault_id);
                out.extend_from_slice(tag);
            }
        }
        out
    }
}

/// A 256-bit symmetric key. Private: the public key types wrap it so that
/// each can only be used for what it is for.
/// Its bytes are locked in memory (out of swap) while it lives; the lock
/// is released after the bytes are zeroized (fields drop in order).
pub(crate) struct SymmetricKey(
    SecretBox<[u8; 32]>,
    #[allow(dead_code)] // held for its drop
    crate::locked::PageLock,
);

impl SymmetricKey {
    fn boxed(bytes: Box<[u8; 32]>) -> Self {
        let secret = SecretBox::new(bytes);
        let lock = crate::locked::PageLock::new(secret.expose_secret());
        Self(secret, lock)
    }

    pub(crate) fn random() -> Self {
        let mut bytes = Box::new([0u8; 32]);
        crate::random_bytes(bytes.as_mut());
        Self::boxed(bytes)
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut boxed = Box::new([0u8; 32]);
        boxed.copy_from_slice(bytes.get(..32).filter(|_| bytes.len() == 32)?);
        Some(Self::boxed(boxed))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    pub(crate) fn seal(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
        seal_with(self.bytes(), aad, plaintext)
    }

    pub(crate) fn open(
        &self,
        aad: &Aad<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        open_with(self.bytes(), aad, sealed)
    }
}

pub(crate) fn seal_with(key: &[u8; 32], aad: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    crate::random_bytes(&mut nonce);
    let ad = aad.encode();
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &ad,
            },
        )
        // Encryption fails only for plaintexts over 256 GiB; records are
        // bounded far below that by the vault's field limits.
        .expect("XChaCha20-Poly1305 encryption of a bounded plaintext");
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

pub(crate) fn open_with(
    key: &[u8; 32],
    aad: &Aad<'_>,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < OVERHEAD {
        return Err(SealError::Truncated);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    let ad = aad.encode();
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &ad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(revision: u32) -> Aad<'static> {
        Aad::Record(RecordAad {
            vault_id: [1; 16],
            item_id: [2; 16],
            kind: 3,
            schema: 1,
            revision,
        })
    }

    #[test]
    fn round_trip() {
        let k = SymmetricKey::random();
        let sealed = k.seal(&rec(0), b"testimony");
        assert_eq!(sealed.len(), 9 + OVERHEAD);
        assert_eq!(&k.open(&rec(0), &sealed).unwrap()[..], b"testimony");
    }

    #[test]
    fn moving_a_ciphertext_to_another_binding_fails() {
        let k = SymmetricKey::random();
        let sealed = k.seal(&rec(0), b"testimony");
        assert_eq!(k.open(&rec(1), &sealed), Err(SealError::Open));
        let other_kind = Aad::Record(RecordAad {
            vault_id: [1; 16],
            item_id: [2; 16],
            kind: 4,
            schema: 1,
            revision: 0,
        });
        assert_eq!(k.open(&other_kind, &sealed), Err(SealError::Open));
        let other_item = Aad::Record(RecordAad {
            item_id: [9; 16],
            ..match rec(0) {
                Aad::Record(r) => r,
                _ => unreachable!(),
            }
        });
        assert_eq!(k.open(&other_item, &sealed), Err(SealError::Open));
    }

    #[test]
    fn every_bit_flip_and_truncation_is_detected() {
        let k = SymmetricKey::random();
        let sealed = k.seal(&rec(0), b"a short record");
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(k.open(&rec(0), &bad).is_err(), "bit {i}");
        }
        for len in 0..sealed.len() {
            assert!(k.open(&rec(0), &sealed[..len]).is_err(), "len {len}");
        }
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = SymmetricKey::random().seal(&rec(0), b"x");
        assert_eq!(
            SymmetricKey::random().open(&rec(0), &sealed),
            Err(SealError::Open)
        );
    }

    #[test]
    fn encodings_of_different_bindings_differ() {
        let named = Aad::Named {
            vault_id: [0; 16],
            name: "a",
        };
        let slot = Aad::Slot {
            vault_id: [0; 16],
            slot_id: [0; 16],
            kind: "a",
        };
        assert_ne!(named.encode(), slot.encode());
    }
}
