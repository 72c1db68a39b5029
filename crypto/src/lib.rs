//! Cryptography for Témoin: the passphrase KDF, the key hierarchy, record
//! sealing, age payload streams and device signatures.
//!
//! Everything that touches key material lives here, so that the crates above
//! (`temoin-vault`, `temoin-sync`, the app) hold opaque key types and never raw
//! bytes. This crate must never log, print or put into an error anything
//! derived from a secret or from plaintext; it must never serialise a secret
//! except through the explicit, named export functions (`*_for_sealing`,
//! `*_for_export`), and it knows nothing about storage or the network.
//!
//! The pieces:
//! - [`kdf`]: Argon2id from a [`Passphrase`] to a [`kdf::KeyEncryptionKey`],
//!   with parameters that are bounded whenever they are read;
//! - [`key`]: the random [`key::VaultKey`] wrapped by each unlock slot, and a
//!   random [`key::ItemKey`] per item, wrapped by the vault key;
//! - [`seal`]: XChaCha20-Poly1305 sealing whose associated data binds what a
//!   ciphertext is ([`seal::RecordAad`]), so it cannot be moved elsewhere;
//! - [`payload`]: age (X25519, STREAM) encryption of large payloads to the
//!   vault's own identity, interoperable with the `age` and `rage` tools;
//! - [`sign`]: the Ed25519 device key and signatures in the minisign format,
//!   one context string per purpose.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod hygiene;
pub mod kdf;
pub mod key;
pub mod locked;
pub mod payload;
pub mod seal;
pub mod sign;

mod passphrase;

pub use passphrase::Passphrase;

/// Fills `buf` with bytes from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rngs::OsRng.fill_bytes(buf);
}
