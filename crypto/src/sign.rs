//! The device's Ed25519 key and signatures in the minisign format.
//!
//! A signature is a minisign signature file: the message's BLAKE2b-512 hash
//! signed with Ed25519 (algorithm `ED`), and a "trusted comment" signed
//! together with that signature. The trusted comment is always the context
//! string of one [`SigningPurpose`], and verification insists on it: a custody
//! entry signature is never accepted as a bundle manifest signature, even if
//! the bytes were somehow the same. The standard `minisign -V` tool verifies
//! these signatures and prints the purpose as the trusted comment.
//!
//! Signing is written here rather than with the `minisign` crate because that
//! crate keeps keys in its own password-protected key-file types; our device
//! key lives sealed in the vault. The format is four lines and is checked
//! against the real `minisign` tool in the interop tests. Verification uses
//! the `minisign-verify` crate, so it is not only our own reading.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// What a signature is for. Each has its own context string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningPurpose {
    /// An entry of a vault's custody log.
    CustodyEntry,
    /// The manifest of a sealed bundle.
    BundleManifest,
    /// An intake server's receipt for a bundle it stored.
    Receipt,
    /// OMCT's list of the recipients devices must seal bundles to.
    RecipientList,
    /// OMCT's desk's acknowledgement of a bundle it opened and verified.
    DeskAck,
    /// A message OMCT's desk wrote to a device about a case.
    DeskMessage,
    /// A message a device wrote to OMCT's desk about a case.
    DeviceMessage,
    /// The devices OMCT's desk approved, for the other officers' desks.
    DeviceRegistry,
}

impl SigningPurpose {
    /// The context string, carried as the signature's trusted comment.
    pub fn context(self) -> &'static str {
        match self {
            SigningPurpose::CustodyEntry => "temoin/custody-entry/v1",
            SigningPurpose::BundleManifest => "temoin/bundle-manifest/v1",
            SigningPurpose::Receipt => "temoin/receipt/v1",
            SigningPurpose::RecipientList => "temoin/recipient-list/v1",
            SigningPurpose::DeskAck => "temoin/desk-ack/v1",
            SigningPurpose::DeskMessage => "temoin/desk-message/v1",
            SigningPurpose::DeviceMessage => "temoin/device-message/v1",
            SigningPurpose::DeviceRegistry => "temoin/device-registry/v1",
        }
    }
}

/// Why a signature or key did not verify or parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The public key is not a minisign Ed25519 public key.
    #[error("the public key is not a valid minisign public key")]
    BadPublicKey,
    /// The signature text is not a minisign signature.
    #[error("the signature is malformed")]
    Malformed,
    /// The signature is for another purpose than the one checked.
    #[error("the signature was made for another purpose")]
    WrongPurpose,
    /// Made by another key.
    #[error("the signature was made by another key")]
    WrongKey,
    /// The signature does not match the message.
    #[error("the signature does not match: the data was altered after signing")]
    Invalid,
    /// The stored device key is malformed.
    #[error("the stored device key is malformed")]
    BadSecretKey,
}

/// The device's signing key. Zeroized on drop.
pub struct DeviceKey {
    key: SigningKey,
    id: [u8; 8],
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey(id {}, <redacted>)", key_id_hex(&self.id))
    }
}

/// A device's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePublicKey {
    key: VerifyingKey,
    id: [u8; 8],
}

impl std::fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevicePublicKey({})", self.id_hex())
    }
}

/// The key id minisign shows: the 8 id bytes read as a little-endian u64, in
/// upper-case hex.
fn key_id_hex(id: &[u8; 8]) -> String {
    format!("{:016X}", u64::from_le_bytes(*id))
}

/// The key id is derived from the public key, so it needs no storage and two
/// devices cannot share one by accident.
fn derive_key_id(key: &VerifyingKey) -> [u8; 8] {
    let mut h = Blake2b512::new();
    h.update(b"temoin/device-key-id/v1\0");
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    id
}

impl DeviceKey {
    /// A new random device key.
    pub fn generate() -> Self {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let id = derive_key_id(&key.verifying_key());
        Self { key, id }
    }

    /// The 32-byte secret seed, to be sealed under the vault key.
    pub fn secret_for_sealing(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.to_bytes())
    }

    /// Restores a key from its sealed seed.
    pub fn from_sealed(seed: &[u8]) -> Result<Self, SignatureError> {
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(seed.try_into().map_err(|_| SignatureError::BadSecretKey)?);
        let key = SigningKey::from_bytes(&seed);
        let id = derive_key_id(&key.verifying_key());
        Ok(Self { key, id })
    }

    /// The public key.
    pub fn public(&self) -> DevicePublicKey {
        DevicePublicKey {
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Signs `message` for `purpose`, returning a minisign signature file.
    pub fn sign(&self, purpose: SigningPurpose, message: &[u8]) -> String {
        let digest = Blake2b512::digest(message);
        let sig = self.key.sign(&digest);
        let trusted = purpose.context();
        let mut global_msg = Vec::with_capacity(64 + trusted.len());
        global_msg.extend_from_slice(&sig.to_bytes());
        global_msg.extend_from_slice(trusted.as_bytes());
        let global = self.key.sign(&global_msg);

        let mut sig_blob = Vec::with_capacity(74);
        sig_blob.extend_from_slice(b"ED");
        sig_blob.extend_from_slice(&self.id);
        sig_blob.extend_from_slice(&sig.to_bytes());
        format!(
            "untrusted comment: signature from Témoin device key {}\n{}\ntrusted comment: {}\n{}\n",
            key_id_hex(&self.id),
            B64.encode(&sig_blob),
            trusted,
            B64.encode(global.to_bytes())
        )
    }
}

impl DevicePublicKey {
    /// The key id as minisign shows it.
    pub fn id_hex(&self) -> String {
        key_id_hex(&self.id)
    }

    /// The key's 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The base64 line minisign takes with `-P`.
    pub fn to_minisign_base64(&self) -> String {
        let mut blob = Vec::with_capacity(42);
        blob.extend_from_slice(b"Ed");
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(self.key.as_bytes());
        B64.encode(blob)
    }

    /// A minisign public key file (`minisign -p FILE`).
    pub fn to_minisign_file(&self) -> String {
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            self.id_hex(),
            self.to_minisign_base64()
        )
    }

    /// Parses a public key from a minisign key file or its base64 line.
    pub fn from_minisign(text: &str) -> Result<Self, SignatureError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or(SignatureError::BadPublicKey)?;
        let blob = B64.decode(line).map_err(|_| SignatureError::BadPublicKey)?;
        if blob.len() != 42 || &blob[..2] != b"Ed" {
            return Err(SignatureError::BadPublicKey);
        }
        let key_bytes: [u8; 32] = blob[10..]
            .try_into()
            .map_err(|_| SignatureError::BadPublicKey)?;
        let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| SignatureError::BadPublicKey)?;
        let id = derive_key_id(&key);
        if blob[2..10] != id {
            // Not one of ours: the id is derived from the key.
            return Err(SignatureError::BadPublicKey);
        }
        Ok(Self { key, id })
    }

    /// Verifies a minisign signature of `message` for `purpose`. Uses the
    /// independent `minisign-verify` implementation.
    pub fn verify(
        &self,
        purpose: SigningPurpose,
        message: &[u8],
        signature: &str,
    ) -> Result<(), SignatureError> {
        let sig =
            minisign_verify::Signature::decode(signature).map_err(|_| SignatureError::Malformed)?;
        let pk = minisign_verify::PublicKey::from_base64(&self.to_minisign_base64())
            .map_err(|_| SignatureError::BadPublicKey)?;
        if sig.trusted_comment() != purpose.context() {
            return Err(SignatureError::WrongPurpose);
        }
        match pk.verify(message, &sig, false) {
            Ok(()) => Ok(()),
            Err(minisign_verify::Error::UnexpectedKeyId) => Err(SignatureError::WrongKey),
            Err(minisign_verify::Error::InvalidSignature) => Err(SignatureError::Invalid),
            Err(_) => Err(SignatureError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let k = DeviceKey::generate();
        let sig = k.sign(SigningPurpose::CustodyEntry, b"entry");
        let pk = k.public();
        pk.verify(SigningPurpose::CustodyEntry, b"entry", &sig)
            .unwrap();
        assert_eq!(
            pk.verify(SigningPurpose::CustodyEntry, b"entrx", &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            pk.verify(SigningPurpose::BundleManifest, b"entry", &sig),
            Err(SignatureError::WrongPurpose)
        );
        assert_eq!(
            DeviceKey::generate()
                .public()
                .verify(SigningPurpose::CustodyEntry, b"entry", &sig),
            Err(SignatureError::WrongKey)
        );
    }

    #[test]
    fn a_swapped_trusted_comment_fails() {
        let k = DeviceKey::generate();
        let sig = k.sign(SigningPurpose::CustodyEntry, b"m");
        let forged = sig.replace(
            SigningPurpose::CustodyEntry.context(),
            SigningPurpose::BundleManifest.context(),
        );
        assert!(k
            .public()
            .verify(SigningPurpose::BundleManifest, b"m", &forged)
            .is_err());
    }

    #[test]
    fn keys_round_trip() {
        let k = DeviceKey::generate();
        let again = DeviceKey::from_sealed(k.secret_for_sealing().as_ref()).unwrap();
        assert_eq!(k.public(), again.public());
        let pk = DevicePublicKey::from_minisign(&k.public().to_minisign_file()).unwrap();
        assert_eq!(pk, k.public());
        assert!(DevicePublicKey::from_minisign("untrusted comment: x\nAAAA").is_err());
        assert!(DeviceKey::from_sealed(&[1, 2, 3]).is_err());
        assert!(!format!("{k:?}").contains(&hex::encode(*k.secret_for_sealing())));
    }

    #[test]
    fn malformed_signatures_are_errors() {
        let pk = DeviceKey::generate().public();
        for bad in [
            "",
            "x",
            "untrusted comment: a\n!!!\ntrusted comment: b\n!!!\n",
        ] {
            assert!(pk.verify(SigningPurpose::CustodyEntry, b"m", bad).is_err());
        }
    }
}
