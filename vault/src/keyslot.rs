//! The key-slot file (`keyslots.json`): the vault's id and its unlock slots.
//!
//! It holds no secret in the clear: each slot is the vault key wrapped under a
//! key derived from something a person has (today a passphrase), with the
//! KDF parameters needed to derive it. More kinds of slot (duress, recovery)
//! are added as new `kind` values; readers skip kinds they do not know and
//! keep them when rewriting, so adding one needs no migration.
//!
//! The file is replaced atomically (write, fsync, rename, fsync the folder),
//! so a crash during a passphrase change leaves either the old or the new
//! slots, never neither.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use temoin_crypto::kdf::{self, KdfParams, SALT_LEN};
use temoin_crypto::key::VaultKey;
use temoin_crypto::seal::Aad;
use temoin_crypto::Passphrase;

use crate::error::OpenError;
use crate::file::sync_dir;

pub(crate) const FILE: &str = "keyslots.json";
pub(crate) const FORMAT: &str = "temoin-vault";
pub(crate) const VERSION: u32 = 1;
/// The key-slot file is tiny; anything bigger is not ours.
const MAX_FILE: u64 = 1024 * 1024;

pub(crate) const PASSPHRASE: &str = "passphrase";

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct SlotFile {
    pub format: String,
    pub version: u32,
    #[serde(with = "hex_16")]
    pub vault_id: [u8; 16],
    pub slots: Vec<Slot>,
    /// Wrong passphrases in a row after which the vault wipes itself, if
    /// the person chose a limit (`crate::attempts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_limit: Option<u32>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct Slot {
    #[serde(with = "hex_16")]
    pub id: [u8; 16],
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfSpec>,
    pub wrapped_key: String,
    /// Fields of slot kinds this version does not know, kept as they are.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct KdfSpec {
    pub algorithm: String,
    #[serde(flatten)]
    pub params: KdfParams,
    pub salt: String,
}

mod hex_16 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(s).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("expected 16 bytes"))
    }
}

fn damaged(what: &str) -> OpenError {
    OpenError::Damaged {
        what: format!("the key-slot file {what}"),
    }
}

impl SlotFile {
    pub(crate) fn read(dir: &Path) -> Result<SlotFile, OpenError> {
        let path = dir.join(FILE);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::NotAVault(dir.to_owned()))
            }
            Err(e) => return Err(e.into()),
        };
        if meta.len() > MAX_FILE {
            return Err(damaged("is too large"));
        }
        let bytes = std::fs::read(&path)?;
        Self::parse(&bytes)
    }

    /// Parses and checks the file's bytes (format and version).
    pub(crate) fn parse(bytes: &[u8]) -> Result<SlotFile, OpenError> {
        let file: SlotFile = serde_json::from_slice(bytes).map_err(|_| damaged("is malformed"))?;
        if file.format != FORMAT {
            return Err(damaged("is not a Témoin key-slot file"));
        }
        if file.version > VERSION {
            return Err(OpenError::TooNew(file.version));
        }
        // Every passphrase slot (the real one, the dummy, a duress slot)
        // has one cost, and nothing in the file is authenticated but each
        // slot's own cost (a changed one derives another key): a slot whose
        // cost differs from the others was edited, for example so that the
        // next passphrase change copies a cheaper cost.
        let mut costs = file
            .slots
            .iter()
            .filter(|s| s.kind == PASSPHRASE)
            .filter_map(|s| s.kdf.as_ref().map(|k| k.params));
        if let Some(first) = costs.next() {
            if costs.any(|c| c != first) {
                return Err(damaged("has passphrase slots of different costs"));
            }
        }
        Ok(file)
    }

    pub(crate) fn write(&self, dir: &Path) -> Result<(), OpenError> {
        let json = serde_json::to_vec_pretty(self).map_err(|_| damaged("could not be encoded"))?;
        let tmp = dir.join(format!("{FILE}.{}.tmp", hex::encode(kdf::new_salt())));
        let result = (|| -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, dir.join(FILE))?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(result?)
    }

    pub(crate) fn slot_aad<'a>(&self, slot: &'a Slot) -> Aad<'a> {
        Aad::Slot {
            vault_id: self.vault_id,
            slot_id: slot.id,
            kind: &slot.kind,
        }
    }

    /// Tries every passphrase slot and returns the vault key the first one
    /// that opens wraps, with that slot's index.
    ///
    /// Every slot's parameters are checked before any derivation, so a
    /// tampered slot cannot make us run a weak or absurd derivation. The
    /// passphrase is then derived once for each distinct (salt, parameters)
    /// among the slots, always all of them, whichever slot opens: the time
    /// an unlock takes does not say which slot opened, or whether one did.
    /// (Slots made by this version share one salt and one set of
    /// parameters, so that is one derivation.)
    pub(crate) fn unlock(&self, passphrase: &Passphrase) -> Result<(VaultKey, usize), OpenError> {
        let mut checked = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.kind != PASSPHRASE {
                continue;
            }
            let spec = slot
                .kdf
                .as_ref()
                .ok_or_else(|| damaged("has a slot without KDF"))?;
            if spec.algorithm != "argon2id" {
                return Err(damaged("names an unknown KDF"));
            }
            spec.params.check()?;
            let salt = hex::decode(&spec.salt).map_err(|_| damaged("has a malformed salt"))?;
            if salt.len() != SALT_LEN {
                return Err(damaged("has a malformed salt"));
            }
            let wrapped = B64
                .decode(&slot.wrapped_key)
                .map_err(|_| damaged("has a malformed key"))?;
            checked.push((i, salt, spec.params, wrapped));
        }
        if checked.is_empty() {
            return Err(damaged("has no passphrase slot"));
        }
        let mut keks: Vec<(Vec<u8>, KdfParams, kdf::KeyEncryptionKey)> = Vec::new();
        for (_, salt, params, _) in &checked {
            if !keks.iter().any(|(s, p, _)| s == salt && p == params) {
                keks.push((
                    salt.clone(),
                    *params,
                    kdf::derive(passphrase, salt, *params)?,
                ));
            }
        }
        let mut found = None;
        for (i, salt, params, wrapped) in &checked {
            let Some((_, _, kek)) = keks.iter().find(|(s, p, _)| s == salt && p == params) else {
                continue;
            };
            // Every slot is tried, as the derivations were.
            if let Ok(key) = VaultKey::unwrap(kek, &self.slot_aad(&self.slots[*i]), wrapped) {
                if found.is_none() {
                    found = Some((key, *i));
                }
            }
        }
        found.ok_or(OpenError::WrongPassphrase)
    }

    /// The salt and parameters of the first passphrase slot, which new
    /// slots share.
    pub(crate) fn shared_kdf(&self) -> Option<(Vec<u8>, KdfParams)> {
        let spec = self
            .slots
            .iter()
            .find(|s| s.kind == PASSPHRASE)?
            .kdf
            .as_ref()?;
        Some((hex::decode(&spec.salt).ok()?, spec.params))
    }

    /// A slot that no passphrase opens, indistinguishable from a real one
    /// made with `salt` and `params`: a random id and 72 random bytes
    /// where the wrapped key would be. Every vault carries one, so a
    /// duress slot (which takes its place) does not show.
    pub(crate) fn dummy_slot(salt: &[u8], params: KdfParams) -> Slot {
        let mut id = [0u8; 16];
        temoin_crypto::random_bytes(&mut id);
        let mut noise = [0u8; 72];
        temoin_crypto::random_bytes(&mut noise);
        Slot {
            id,
            kind: PASSPHRASE.to_owned(),
            kdf: Some(KdfSpec {
                algorithm: "argon2id".into(),
                params,
                salt: hex::encode(salt),
            }),
            wrapped_key: B64.encode(noise),
            extra: BTreeMap::new(),
        }
    }

    /// A passphrase slot wrapping `key`, with the given salt (the vault's
    /// shared one: see [`SlotFile::unlock`]).
    pub(crate) fn passphrase_slot_salted(
        &self,
        key: &VaultKey,
        passphrase: &Passphrase,
        params: KdfParams,
        salt: &[u8],
    ) -> Result<Slot, OpenError> {
        if passphrase.is_empty() {
            return Err(OpenError::EmptyPassphrase);
        }
        let kek = kdf::derive(passphrase, salt, params)?;
        let mut id = [0u8; 16];
        temoin_crypto::random_bytes(&mut id);
        let mut slot = Slot {
            id,
            kind: PASSPHRASE.to_owned(),
            kdf: Some(KdfSpec {
                algorithm: "argon2id".into(),
                params,
                salt: hex::encode(salt),
            }),
            wrapped_key: String::new(),
            extra: BTreeMap::new(),
        };
        slot.wrapped_key = B64.encode(key.wrap(&kek, &self.slot_aad(&slot)));
        Ok(slot)
    }
}
