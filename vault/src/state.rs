//! State kept in the vault for the layers above it: the outbox of
//! submissions, the enrollment with OMCT's intake server, settings. The
//! vault does not interpret the values.
//!
//! A value is stored under the sled key `t` + a 16-byte tag of its name
//! (`VaultKey::name_tag`, keyed with the vault key), never the name itself,
//! so that a copy of the disk does not tell which settings exist (that
//! deliver-and-forget is on, that a spare store has an outcome). The sealed
//! value (`Aad::State`, bound to the tag) holds the name and the value, so
//! that names can be listed once the vault is open. A write is durable when
//! it returns. Vaults written before the tags kept `s` + name; their values
//! are moved under tags when the vault opens ([`migrate_named_state`]).

use temoin_crypto::key::VaultKey;
use temoin_crypto::seal::Aad;
use zeroize::Zeroizing;

use crate::custody::{Action, BundleNote, Event};
use crate::error::{OpenError, VaultError};
use crate::record::{ItemId, Kind};
use crate::vault::Vault;

/// The sled key prefix of state values.
pub(crate) const STATE: u8 = b't';
/// The prefix of the old, named state keys (migrated at open).
const NAMED_STATE: u8 = b's';
/// Longest state key.
pub const MAX_STATE_KEY: usize = 200;

fn check_name(key: &str) -> Result<(), VaultError> {
    if key.is_empty() || key.len() > MAX_STATE_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(VaultError::Store(
            "a state key must be 1 to 200 printable ASCII characters".into(),
        ));
    }
    Ok(())
}

fn sled_key(tag: &[u8; 16]) -> [u8; 17] {
    let mut k = [STATE; 17];
    k[1..].copy_from_slice(tag);
    k
}

/// Seals `name` and `value` together, bound to the name's tag.
fn seal_entry(
    key: &VaultKey,
    vault_id: [u8; 16],
    tag: &[u8; 16],
    name: &str,
    value: &[u8],
) -> Vec<u8> {
    let mut plain = Zeroizing::new(Vec::with_capacity(2 + name.len() + value.len()));
    plain.extend_from_slice(&(name.len() as u16).to_be_bytes());
    plain.extend_from_slice(name.as_bytes());
    plain.extend_from_slice(value);
    key.seal(
        &Aad::TaggedState {
            vault_id,
            tag: *tag,
        },
        &plain,
    )
}

/// Opens an entry stored under `tag`: its name and value, if the name's tag
/// is `tag` (a value moved under another tag does not open as that name).
pub(crate) fn open_entry(
    key: &VaultKey,
    vault_id: [u8; 16],
    tag: &[u8; 16],
    sealed: &[u8],
) -> Option<(String, Zeroizing<Vec<u8>>)> {
    let plain = key
        .open(
            &Aad::TaggedState {
                vault_id,
                tag: *tag,
            },
            sealed,
        )
        .ok()?;
    let len = u16::from_be_bytes(plain.get(..2)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(plain.get(2..2 + len)?).ok()?.to_owned();
    if key.name_tag(vault_id, &name) != *tag {
        return None;
    }
    let value = Zeroizing::new(plain.get(2 + len..)?.to_vec());
    Some((name, value))
}

/// Moves the values of a vault written before the tags (sled keys `s` +
/// name) under their tags, in one batch (the caller syncs). A value that
/// does not open is moved as it is, so that reading it by name still says
/// it is damaged (it neither vanishes nor stops the vault from opening).
pub(crate) fn migrate_named_state(
    db: &sled::Db,
    key: &VaultKey,
    vault_id: [u8; 16],
) -> Result<bool, OpenError> {
    let mut batch = sled::Batch::default();
    let mut moved = false;
    for kv in db.scan_prefix([NAMED_STATE]) {
        let (k, sealed) = kv.map_err(|e| OpenError::Damaged {
            what: format!("the record store ({e})"),
        })?;
        // A key that is no name cannot be read by any name: left as it is.
        let Ok(name) = std::str::from_utf8(&k[1..]) else {
            continue;
        };
        let tag = key.name_tag(vault_id, name);
        let value = key.open(
            &Aad::State {
                vault_id,
                key: name,
            },
            &sealed,
        );
        match value {
            Ok(value) => batch.insert(
                &sled_key(&tag)[..],
                seal_entry(key, vault_id, &tag, name, &value),
            ),
            // Moved as it is: reading it by its name says it is damaged.
            Err(_) => batch.insert(&sled_key(&tag)[..], &sealed[..]),
        }
        batch.remove(k);
        moved = true;
    }
    if moved {
        db.apply_batch(batch).map_err(|e| match e {
            sled::Error::Io(io) => OpenError::Io(io),
            other => OpenError::Damaged {
                what: format!("the record store ({other})"),
            },
        })?;
    }
    Ok(moved)
}

impl Vault {
    /// Stores `value` under `key`, sealed, durably.
    pub fn put_state(&mut self, key: &str, value: &[u8]) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        check_name(key)?;
        let tag = self.key.name_tag(self.vault_id, key);
        let sealed = seal_entry(&self.key, self.vault_id, &tag, key, value);
        let mut record = self.next_record()?;
        record.states.insert(tag, self.mac.value(&sealed));
        let mut batch = sled::Batch::default();
        batch.insert(&sled_key(&tag)[..], sealed);
        self.write_state(batch, record, tag)
    }

    /// Applies a batch that changes the setting `tag`, with its state
    /// record, durably; then records the record's counter in the head.
    fn write_state(
        &mut self,
        mut batch: sled::Batch,
        record: crate::rollback::StateRecord,
        tag: [u8; 16],
    ) -> Result<(), VaultError> {
        batch.insert(
            crate::store::meta_key(crate::rollback::NAME),
            record.seal(&self.key, self.vault_id),
        );
        self.store.db.apply_batch(batch)?;
        let counter = record.counter;
        self.record = record;
        // Written again, the setting is current again.
        self.stale_states.remove(&tag);
        let head = crate::head::Head {
            record: Some(counter),
            ..self.head_written
        };
        let durable = self.store.sync().and_then(|()| self.write_head(head));
        if durable.is_err() {
            // As for commits: sled may still persist what it took, so the
            // vault accepts no further write until it is reopened.
            self.unsettled = true;
        }
        durable
    }

    /// The value stored under `key`, if any.
    pub fn get_state(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        check_name(key)?;
        let tag = self.key.name_tag(self.vault_id, key);
        // The name stays out of the message: it can say more than the
        // value (that a spare store exists, in the decoy).
        if self.stale_states.contains(&tag) {
            return Err(VaultError::Store(
                "a stored setting is not the value last saved (an older copy of the vault was \
                 put back, or it was removed): run `temoin verify`, then set it again"
                    .into(),
            ));
        }
        let Some(sealed) = self.store.db.get(sled_key(&tag))? else {
            return Ok(None);
        };
        open_entry(&self.key, self.vault_id, &tag, &sealed)
            .map(|(_, value)| Some(value))
            .ok_or_else(|| {
                VaultError::Store("a stored setting is damaged: run `temoin verify`".into())
            })
    }

    /// The keys stored that start with `prefix`, in order. Every entry is
    /// opened to read its name (there are few: settings and the outbox). An
    /// entry that does not open has no name to list; reading it by its name
    /// reports the damage, and it does not keep the others from being
    /// listed.
    pub fn state_keys(&self, prefix: &str) -> Result<Vec<String>, VaultError> {
        let mut out = Vec::new();
        for kv in self.store.db.scan_prefix([STATE]) {
            let (k, sealed) = kv?;
            let Ok(tag) = <[u8; 16]>::try_from(&k[1..]) else {
                continue;
            };
            if let Some((name, _)) = open_entry(&self.key, self.vault_id, &tag, &sealed) {
                if name.starts_with(prefix) {
                    out.push(name);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes the value under `key`, durably.
    pub fn delete_state(&mut self, key: &str) -> Result<(), VaultError> {
        if self.unsettled {
            return Err(VaultError::Unsettled);
        }
        check_name(key)?;
        let tag = self.key.name_tag(self.vault_id, key);
        let mut record = self.next_record()?;
        record.states.remove(&tag);
        let mut batch = sled::Batch::default();
        batch.remove(&sled_key(&tag)[..]);
        self.write_state(batch, record, tag)
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
            bundle_event(case, bundle, ciphertext_sha256, receipt),
        )
    }

    /// Records OMCT's desk's signed acknowledgement of a bundle, already
    /// verified by the caller with the desk's key: `accepted` for a bundle
    /// the desk took, otherwise the desk flagged it. Only an accepted one
    /// lets the case be forgotten.
    pub fn record_acknowledgement(
        &mut self,
        case: ItemId,
        bundle: BundleNote,
        ciphertext_sha256: &str,
        acknowledgement: &str,
        accepted: bool,
    ) -> Result<(), VaultError> {
        self.append_custody(
            if accepted {
                Action::Acknowledged
            } else {
                Action::Flagged
            },
            bundle_event(case, bundle, ciphertext_sha256, acknowledgement),
        )
    }

    /// Records a message about `case` (an item of kind `kind`: a case in a
    /// defender's vault, a received case at OMCT's desk) in the custody log:
    /// `sent` when it was written here and sealed for the other side,
    /// otherwise it arrived and the caller verified its signature. The entry
    /// holds the SHA-256 of `signed` (the signed message), never its words:
    /// a case's custody entries travel in its bundles, to a litigator or
    /// into a publication, and the correspondence must not. The signed
    /// message itself is kept by the caller, beside the log.
    pub fn record_message(
        &mut self,
        case: ItemId,
        kind: Kind,
        sent: bool,
        signed: &str,
    ) -> Result<(), VaultError> {
        use sha2::Digest;
        self.append_custody(
            if sent {
                Action::MessageSent
            } else {
                Action::MessageReceived
            },
            Event {
                item: Some(case),
                kind: Some(kind),
                case: Some(case),
                sha256: Some(hex::encode(sha2::Sha256::digest(signed.as_bytes()))),
                ..Event::default()
            },
        )
    }

    /// Signs a message this device wrote to OMCT's desk, with the device
    /// key (for its purpose alone: it can pass for nothing else).
    pub fn sign_message(&self, message: &[u8]) -> String {
        self.device
            .sign(temoin_crypto::sign::SigningPurpose::DeviceMessage, message)
    }

    /// The case an exported bundle was sealed from, with its note and its
    /// manifest's SHA-256, from the custody log.
    pub fn exported_bundle(
        &self,
        bundle_id: &str,
    ) -> Result<Option<(ItemId, BundleNote, String)>, VaultError> {
        Ok(self.custody()?.into_iter().find_map(|e| {
            let b = e.body.bundle?;
            (e.body.action == Action::ExportBundle && b.id == bundle_id)
                .then_some(())
                .and_then(|_| Some((e.body.case?, b, e.body.sha256?)))
        }))
    }
}

/// A custody event about a bundle of `case` and a signed document that
/// confirms it (the server's receipt, or the desk's acknowledgement).
fn bundle_event(case: ItemId, bundle: BundleNote, ciphertext_sha256: &str, signed: &str) -> Event {
    Event {
        item: Some(case),
        kind: Some(Kind::Case),
        case: Some(case),
        sha256: Some(ciphertext_sha256.to_owned()),
        bundle: Some(bundle),
        receipt: Some(signed.to_owned()),
        ..Event::default()
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
            crate::file::sync_dir(&self.dir)?;
        }
        Ok(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::KdfChoice;
    use temoin_crypto::Passphrase;

    #[test]
    fn values_of_an_older_vault_move_under_tags_and_their_names_leave_the_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v");
        let pass = Passphrase::from("p");
        let mut v = Vault::create(&path, &pass, KdfChoice::Minimum).expect("create");
        // As an older version stored it: `s` + name, bound to the name.
        let name = "policy/forget-after-delivery";
        let sealed = v.key.seal(
            &Aad::State {
                vault_id: v.vault_id,
                key: name,
            },
            b"1",
        );
        let mut legacy = vec![NAMED_STATE];
        legacy.extend_from_slice(name.as_bytes());
        v.store.db.insert(&legacy, sealed).expect("insert");
        // Older still than the state record: none, and a head without it.
        v.store
            .db
            .remove(crate::store::meta_key(crate::rollback::NAME))
            .expect("remove");
        let head = crate::head::Head {
            record: None,
            ..v.head_written
        };
        v.head_file.write(&v.key, v.vault_id, head).expect("head");
        v.store.db.flush().expect("flush");
        v.lock();
        let v = Vault::unlock(&path, &pass).expect("unlock");
        assert_eq!(
            v.get_state(name).expect("get").map(|b| b.to_vec()),
            Some(b"1".to_vec())
        );
        assert_eq!(
            v.state_keys("policy/").expect("keys"),
            vec![name.to_owned()]
        );
        assert!(v.store.db.get(&legacy).expect("get").is_none());
        let names_in_keys = v
            .store
            .db
            .iter()
            .keys()
            .filter_map(Result::ok)
            .any(|k| k.windows(name.len()).any(|w| w == name.as_bytes()));
        assert!(!names_in_keys, "a state name is still a store key");
    }

    #[test]
    fn an_old_named_value_put_into_a_current_vault_is_named_not_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v");
        let pass = Passphrase::from("p");
        let mut v = Vault::create(&path, &pass, KdfChoice::Minimum).expect("create");
        let name = "policy/forget-after-delivery";
        v.put_state(name, b"0").expect("put");
        // An older image's value, under the key versions before the tags
        // used: the move at open would put it over the current one.
        let sealed = v.key.seal(
            &Aad::State {
                vault_id: v.vault_id,
                key: name,
            },
            b"1",
        );
        let mut legacy = vec![NAMED_STATE];
        legacy.extend_from_slice(name.as_bytes());
        v.store.db.insert(&legacy, sealed).expect("insert");
        v.store.db.flush().expect("flush");
        v.lock();
        let v = Vault::unlock(&path, &pass).expect("unlock");
        assert!(v.get_state(name).is_err(), "the put-back value was served");
        assert_eq!(
            v.rolled_back(),
            &[crate::RolledBack::Setting {
                name: Some(name.to_owned())
            }]
        );
    }

    #[test]
    fn a_value_moved_under_another_tag_does_not_open_as_that_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut v = Vault::create(
            &dir.path().join("v"),
            &Passphrase::from("p"),
            KdfChoice::Minimum,
        )
        .expect("create");
        v.put_state("a", b"one").expect("put");
        v.put_state("b", b"two").expect("put");
        let ta = sled_key(&v.key.name_tag(v.vault_id, "a"));
        let tb = sled_key(&v.key.name_tag(v.vault_id, "b"));
        let a = v.store.db.get(ta).expect("get").expect("a");
        v.store.db.insert(tb, a).expect("swap");
        assert!(
            v.get_state("b").is_err(),
            "a swapped value must not read as b"
        );
        assert_eq!(
            v.get_state("a").expect("a").map(|b| b.to_vec()),
            Some(b"one".to_vec())
        );
    }
}
