//! The key hierarchy.
//!
//! ```text
//! passphrase ──Argon2id──► KeyEncryptionKey ──wraps──► VaultKey ──wraps──► ItemKey ──seals──► record revisions
//!                                                        │
//!                                                        └──seals──► payload identity, device key, custody entries
//! ```
//!
//! The vault key is random and never changes for the life of a vault: a new
//! passphrase only rewraps it. Each item has its own random key, wrapped by the
//! vault key, so destroying that one wrapped key makes every revision of the
//! item unreadable. Destroying every wrapped copy of the vault key (every
//! slot) makes the whole vault unreadable.

use zeroize::Zeroizing;

use crate::kdf::KeyEncryptionKey;
use crate::seal::{Aad, RecordAad, SealError, SymmetricKey};

/// The vault's master key. Opaque outside this crate; zeroized on drop.
pub struct VaultKey(SymmetricKey);

/// One item's data key. Opaque outside this crate; zeroized on drop.
pub struct ItemKey(SymmetricKey);

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(<redacted>)")
    }
}

impl std::fmt::Debug for ItemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemKey(<redacted>)")
    }
}

impl VaultKey {
    /// A new random vault key.
    pub fn generate() -> Self {
        Self(SymmetricKey::random())
    }

    /// Wraps this key for an unlock slot. `binding` must be an [`Aad::Slot`].
    pub fn wrap(&self, kek: &KeyEncryptionKey, binding: &Aad<'_>) -> Vec<u8> {
        debug_assert!(matches!(binding, Aad::Slot { .. }));
        crate::seal::seal_with(kek.bytes(), binding, self.0.bytes())
    }

    /// Unwraps a vault key from a slot. Fails with [`SealError::Open`] on a
    /// wrong passphrase as on a damaged slot: the two are indistinguishable.
    pub fn unwrap(
        kek: &KeyEncryptionKey,
        binding: &Aad<'_>,
        wrapped: &[u8],
    ) -> Result<Self, SealError> {
        let bytes = crate::seal::open_with(kek.bytes(), binding, wrapped)?;
        SymmetricKey::from_bytes(&bytes)
            .map(Self)
            .ok_or(SealError::Open)
    }

    /// Seals a vault-wide value (custody entry, named secret).
    pub fn seal(&self, binding: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(binding, plaintext)
    }

    /// A tag standing for `name` in the store's keys, so that the names of
    /// stored values (settings, outbox entries) never reach the disk: 16
    /// bytes of BLAKE2b keyed with this key over a domain tag, the vault id
    /// and the name. Deterministic, so the same name finds the same value.
    pub fn name_tag(&self, vault_id: [u8; 16], name: &str) -> [u8; 16] {
        use blake2::digest::{KeyInit, Mac};
        // The vault key is an AEAD key; the tags use a subkey derived from
        // it for this purpose alone. (32- and 64-byte keys always fit
        // BLAKE2b's 64-byte key limit.)
        let mut derive = <blake2::Blake2bMac512 as KeyInit>::new_from_slice(self.0.bytes())
            .expect("a 32-byte key is a valid BLAKE2b key");
        derive.update(b"temoin/state-name-key/v1\0");
        let subkey = Zeroizing::new(derive.finalize().into_bytes());
        let mut mac = <blake2::Blake2bMac512 as KeyInit>::new_from_slice(&subkey)
            .expect("a 64-byte key is a valid BLAKE2b key");
        mac.update(b"temoin/state-name/v1\0");
        mac.update(&vault_id);
        mac.update(name.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        tag
    }

    /// The keyed digests a vault uses to notice that part of its store was
    /// put back from an older copy (see [`StateMac`]).
    pub fn state_mac(&self, vault_id: [u8; 16]) -> StateMac {
        use blake2::digest::{KeyInit, Mac};
        let mut derive = <blake2::Blake2bMac512 as KeyInit>::new_from_slice(self.0.bytes())
            .expect("a 32-byte key is a valid BLAKE2b key");
        derive.update(b"temoin/state-digest-key/v1\0");
        derive.update(&vault_id);
        let subkey = Zeroizing::new(derive.finalize().into_bytes());
        StateMac(
            <blake2::Blake2bMac<blake2::digest::consts::U32> as KeyInit>::new_from_slice(&subkey)
                .expect("a 64-byte key is a valid BLAKE2b key"),
        )
    }

    /// Opens a vault-wide value.
    pub fn open(&self, binding: &Aad<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.0.open(binding, sealed)
    }

    /// Wraps an item key, bound to the vault and the item. The item's kind is
    /// sealed with the key, so that what an item is stays secret too and is
    /// known before its records are opened.
    pub fn wrap_item_key(
        &self,
        vault_id: [u8; 16],
        item_id: [u8; 16],
        kind: u16,
        key: &ItemKey,
    ) -> Vec<u8> {
        let mut plain = Zeroizing::new([0u8; 34]);
        plain[..32].copy_from_slice(key.0.bytes());
        plain[32..].copy_from_slice(&kind.to_be_bytes());
        self.0.seal(&Aad::ItemKey { vault_id, item_id }, &plain[..])
    }

    /// Unwraps an item key and the item's kind.
    pub fn unwrap_item_key(
        &self,
        vault_id: [u8; 16],
        item_id: [u8; 16],
        wrapped: &[u8],
    ) -> Result<(ItemKey, u16), SealError> {
        let bytes = self.0.open(&Aad::ItemKey { vault_id, item_id }, wrapped)?;
        if bytes.len() != 34 {
            return Err(SealError::Open);
        }
        let key = SymmetricKey::from_bytes(&bytes[..32]).ok_or(SealError::Open)?;
        Ok((ItemKey(key), u16::from_be_bytes([bytes[32], bytes[33]])))
    }
}

impl ItemKey {
    /// A new random item key.
    pub fn generate() -> Self {
        Self(SymmetricKey::random())
    }

    /// Seals one revision of a record.
    pub fn seal_record(&self, aad: &RecordAad, plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(&Aad::Record(*aad), plaintext)
    }

    /// Seals the item's preview image.
    pub fn seal_preview(&self, vault_id: [u8; 16], item_id: [u8; 16], plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(&Aad::Preview { vault_id, item_id }, plaintext)
    }

    /// Opens the item's preview image.
    pub fn open_preview(
        &self,
        vault_id: [u8; 16],
        item_id: [u8; 16],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.0.open(&Aad::Preview { vault_id, item_id }, sealed)
    }

    /// Opens one revision of a record.
    pub fn open_record(
        &self,
        aad: &RecordAad,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.0.open(&Aad::Record(*aad), sealed)
    }
}

/// Keyed digests of what a vault last wrote, under a subkey of the vault
/// key, so that someone with the disk but not the key can neither compute
/// nor steer them.
///
/// The digest of the live items is the XOR of [`StateMac::item`] over each
/// item's latest revision, so one write updates it in constant time. An XOR
/// of unkeyed hashes could be steered (with enough items to choose from, a
/// set of changes whose hashes cancel is found by linear algebra); keyed,
/// the attacker has no hash to choose with.
#[derive(Clone)]
pub struct StateMac(blake2::Blake2bMac<blake2::digest::consts::U32>);

impl std::fmt::Debug for StateMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateMac(<redacted>)")
    }
}

impl StateMac {
    /// The digest of one item at one revision.
    pub fn item(&self, id: &[u8; 16], revision: u32) -> [u8; 32] {
        use blake2::digest::Mac;
        let mut mac = self.0.clone();
        mac.update(b"item\0");
        mac.update(id);
        mac.update(&revision.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The digest of one stored value, as stored (sealed).
    pub fn value(&self, stored: &[u8]) -> [u8; 16] {
        use blake2::digest::Mac;
        let mut mac = self.0.clone();
        mac.update(b"value\0");
        mac.update(stored);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn name_tags_are_stable_and_depend_on_key_vault_and_name() {
        let k = VaultKey::generate();
        let other = VaultKey::generate();
        let v = [7u8; 16];
        assert_eq!(k.name_tag(v, "enrollment"), k.name_tag(v, "enrollment"));
        assert_ne!(k.name_tag(v, "enrollment"), k.name_tag(v, "enrollmenu"));
        assert_ne!(
            k.name_tag(v, "enrollment"),
            k.name_tag([8u8; 16], "enrollment")
        );
        assert_ne!(k.name_tag(v, "enrollment"), other.name_tag(v, "enrollment"));
    }

    use super::*;
    use crate::kdf::{derive, KdfParams};

    fn slot(kind: &str) -> Aad<'_> {
        Aad::Slot {
            vault_id: [1; 16],
            slot_id: [2; 16],
            kind,
        }
    }

    #[test]
    fn rewrapping_keeps_the_same_vault_key() {
        let salt = [3u8; 16];
        let old = derive(&"old passphrase".into(), &salt, KdfParams::FLOOR).unwrap();
        let new = derive(&"new passphrase".into(), &salt, KdfParams::FLOOR).unwrap();
        let vk = VaultKey::generate();
        let item = ItemKey::generate();
        let wrapped_item = vk.wrap_item_key([1; 16], [5; 16], 3, &item);

        let w_old = vk.wrap(&old, &slot("passphrase"));
        let reopened = VaultKey::unwrap(&old, &slot("passphrase"), &w_old).unwrap();
        let w_new = reopened.wrap(&new, &slot("passphrase"));
        let again = VaultKey::unwrap(&new, &slot("passphrase"), &w_new).unwrap();
        // Data wrapped before the change still opens after it.
        again
            .unwrap_item_key([1; 16], [5; 16], &wrapped_item)
            .unwrap();
        assert!(VaultKey::unwrap(&new, &slot("passphrase"), &w_old).is_err());
        assert!(VaultKey::unwrap(&old, &slot("duress"), &w_old).is_err());
    }

    #[test]
    fn item_keys_are_bound_to_their_item() {
        let vk = VaultKey::generate();
        let item = ItemKey::generate();
        let wrapped = vk.wrap_item_key([1; 16], [5; 16], 3, &item);
        assert!(vk.unwrap_item_key([1; 16], [6; 16], &wrapped).is_err());
        assert!(vk.unwrap_item_key([0; 16], [5; 16], &wrapped).is_err());
        let aad = RecordAad {
            vault_id: [1; 16],
            item_id: [5; 16],
            kind: 1,
            schema: 1,
            revision: 0,
        };
        let sealed = item.seal_record(&aad, b"record");
        let (back, kind) = vk.unwrap_item_key([1; 16], [5; 16], &wrapped).unwrap();
        assert_eq!(kind, 3);
        assert_eq!(&back.open_record(&aad, &sealed).unwrap()[..], b"record");
        assert!(ItemKey::generate().open_record(&aad, &sealed).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", VaultKey::generate()),
            "VaultKey(<redacted>)"
        );
        assert_eq!(format!("{:?}", ItemKey::generate()), "ItemKey(<redacted>)");
    }
}
