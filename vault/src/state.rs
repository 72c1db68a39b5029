//! State kept in the vault for the layers above it: the outbox of
//! submissions and the enrollment with OMCT's intake server. Each value is
//! sealed under the vault key, bound to its key (`Aad::State`), and stored
//! under the sled key `s` + key; a write is durable when it returns. The
//! vault does not interpret the values.

use temoin_crypto::seal::Aad;
use zeroize::Zeroizing;

use crate::custody::{Action, BundleNote, Event};
use crate::error::VaultError;
use crate::record::{ItemId, Kind};
use crate::vault::Vault;

/// The sled key prefix of state values.
pub(crate) const STATE: u8 = b's';
/// Longest state key.
pub const MAX_STATE_KEY: usize = 200;

fn state_key(key: &str) -> Result<Vec<u8>, VaultError> {
    if key.is_empty() || key.len() > MAX_STATE_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(VaultError::Store(
            "a state key must be 1 to 200 printable ASCII characters".into(),
        ));
    }
    let mut k = vec![STATE];
    k.extend_from_slice(key.as_bytes());
    Ok(k)
}

impl Vault {
    /// Stores `value` under `key`, sealed, durably.
    pub fn put_state(&mut self, key: &str, value: &[u8]) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        let k = state_key(key)?;
        let sealed = self.key.seal(
            &Aad::State {
                vault_id: self.vault_id,
                key,
            },
            value,
        );
        self.store.db.insert(k, sealed)?;
        let durable = self.store.sync();
        if durable.is_err() {
            // As for commits: sled may still persist what it took, so the
            // vault accepts no further write until it is reopened.
            self.unsettled = true;
        }
        durable
    }

    /// The value stored under `key`, if any.
    pub fn get_state(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let Some(sealed) = self.store.db.get(state_key(key)?)? else {
            return Ok(None);
        };
        self.key
            .open(
                &Aad::State {
                    vault_id: self.vault_id,
                    key,
                },
                &sealed,
            )
            .map(Some)
            .map_err(|_| VaultError::Store(format!("the stored state {key:?} is damaged")))
    }

    /// The keys stored that start with `prefix`, in order.
    pub fn state_keys(&self, prefix: &str) -> Result<Vec<String>, VaultError> {
        let mut p = vec![STATE];
        p.extend_from_slice(prefix.as_bytes());
        let mut out = Vec::new();
        for kv in self.store.db.scan_prefix(p) {
            let (k, _) = kv?;
            out.push(String::from_utf8_lossy(&k[1..]).into_owned());
        }
        Ok(out)
    }

    /// Removes the value under `key`, durably.
    pub fn delete_state(&mut self, key: &str) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        self.store.db.remove(state_key(key)?)?;
        let durable = self.store.sync();
        if durable.is_err() {
            self.unsettled = true;
        }
        durable
    }

    /// Records in the custody log that a bundle of `case` was delivered:
    /// `ciphertext_sha256` is what the intake server stored, and `receipt`
    /// the server's signed receipt, kept verbatim (the caller has verified
    /// it).
    pub fn record_delivery(
        &mut self,
        case: ItemId,
        bundle: BundleNote,
        ciphertext_sha256: &str,
        receipt: &str,
    ) -> Result<(), VaultError> {
        self.append_custody(
            Action::Delivered,
            Event {
                item: Some(case),
                kind: Some(Kind::Case),
                case: Some(case),
                sha256: Some(ciphertext_sha256.to_owned()),
                bundle: Some(bundle),
                receipt: Some(receipt.to_owned()),
                ..Event::default()
            },
        )
    }
}

impl Vault {
    /// The folder for bundles waiting to be sent (created if missing, only
    /// its owner can read it). They are encrypted to their recipients, not
    /// to this vault.
    pub fn outbox_dir(&self) -> Result<std::path::PathBuf, VaultError> {
        let dir = self.dir.join("outbox");
        if !dir.is_dir() {
            std::fs::create_dir(&dir)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
            }
            crate::store::sync_dir(&self.dir)?;
        }
        Ok(dir)
    }
}
