//! Coercion: a duress passphrase, and a limit on wrong passphrases.
//!
//! **Duress passphrase.** An extra passphrase slot, made with the same salt
//! and cost as the real one and taking the place of the dummy slot every
//! vault carries, so the key-slot file looks the same with or without it.
//! It unwraps the key of a second, spare store (`spare/`, same layout as the
//! vault without key slots), which the person fills with harmless content.
//! Unlocking derives the passphrase once for all slots, whichever opens
//! (`SlotFile::unlock`), and tells the two stores apart by their custody
//! head, so a duress unlock takes the time and shows the screens of a
//! normal one. The person chooses what it does:
//! - [`DuressOutcome::Decoy`]: open the spare store; the real vault stays.
//! - [`DuressOutcome::Shred`]: replace every other slot by a dummy (the real
//!   vault key is gone from the disk: crypto-shredded), remove the real
//!   vault's files, and open the spare store, which from then on is the
//!   vault.
//!
//! What it does not do (`docs/threat-model.md`): hide from a forensic
//! examination of the disk that a second store exists; protect a copy of the
//! disk taken before a shred; or stand up to someone who knows Témoin has
//! this feature and keeps asking.
//!
//! **Attempt limit.** Optionally, the vault wipes itself ([`crate::wipe`])
//! after N wrong passphrases in a row. The count is in `attempts`, written
//! and synced *before* each derivation, so killing the process during an
//! attempt does not undo it; every vault keeps the file and counts, with or
//! without a limit. The limit itself is in the key-slot file (it must be
//! read before unlocking), where an examiner can see it. It stops guessing
//! through the app, not guessing on a copy of the disk.

use temoin_crypto::key::VaultKey;
use temoin_crypto::Passphrase;

use crate::error::{OpenError, VaultError};
use crate::file::sync_dir;
pub use crate::file::{ATTEMPTS_FILE, SPARE_DIR, SPARE_REMOVING};
use crate::keyslot::{SlotFile, PASSPHRASE};
pub use crate::vault::spare::DuressOutcome;
use crate::vault::spare::{finish_duress_removal, OUTCOME_KEY};
use crate::vault::Vault;

/// In the spare store: the duress outcome a person "set" from it, which
/// makes no slot (see `set_duress_in_spare`).
const PRETEND_KEY: &str = "duress/set-from-here";

impl Vault {
    /// Whether this is the spare store a duress passphrase opened.
    pub fn is_spare(&self) -> bool {
        self.slots_dir != self.dir
    }

    /// Sets a duress passphrase: makes the spare store (empty: fill it with
    /// harmless content by unlocking with the duress passphrase) and a slot
    /// for it in place of the dummy slot. `current` is the vault's own
    /// passphrase, asked again (it also tells the real slot from the
    /// dummy). Refused if a duress passphrase is already set, from the spare
    /// store itself, or if `duress` is the vault's own passphrase.
    pub fn set_duress(
        &mut self,
        current: &Passphrase,
        duress: &Passphrase,
        outcome: DuressOutcome,
    ) -> Result<(), OpenError> {
        if duress.is_empty() {
            return Err(OpenError::EmptyPassphrase);
        }
        if self.is_spare() {
            return self.set_duress_in_spare(current, duress, outcome);
        }
        let spare_dir = self.dir.join(SPARE_DIR);
        if spare_dir.exists() {
            return Err(OpenError::NotRecordable(
                "a duress passphrase is already set".into(),
            ));
        }
        let slots = SlotFile::read(&self.slots_dir)?;
        let (key, real) = slots.unlock(current)?;
        // No duress slot exists here (no spare store), so `current` opened
        // the real slot; checked all the same, as a wrong index would
        // replace the real slot.
        if !crate::vault::head_opens(&self.dir, &key, self.vault_id) {
            return Err(OpenError::WrongPassphrase);
        }
        drop(key);
        finish_duress_removal(&self.slots_dir, &slots, real)?;
        let mut slots = SlotFile::read(&self.slots_dir)?;
        if slots.unlock(duress).is_ok() {
            return Err(OpenError::NotRecordable(
                "the duress passphrase must differ from the vault's passphrase".into(),
            ));
        }
        // Salt and cost from the slot `current` just opened (the only ones
        // proven), never from another slot of the unauthenticated file.
        let (salt, params) = proven_kdf(&slots, real)?;
        let key = VaultKey::generate();
        let slot = slots.passphrase_slot_salted(&key, duress, params, &salt)?;
        std::fs::create_dir(&spare_dir)?;
        let made = (|| -> Result<(), OpenError> {
            drop(Vault::create_store(&spare_dir, self.vault_id, &key)?);
            let mut spare = Vault::open_with_key(&spare_dir, self.vault_id, key)?;
            spare
                .put_state(OUTCOME_KEY, outcome.code().as_bytes())
                .map_err(|e| OpenError::Damaged {
                    what: e.to_string(),
                })?;
            spare.lock();
            Ok(())
        })();
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&spare_dir);
            return Err(e);
        }
        // In the dummy's place (any passphrase slot but the real one), so
        // the file keeps its shape; an older vault without a dummy grows.
        let dummy =
            (0..slots.slots.len()).find(|&i| i != real && slots.slots[i].kind == PASSPHRASE);
        match dummy {
            Some(i) => slots.slots[i] = slot,
            None => slots.slots.push(slot),
        }
        slots.write(&self.slots_dir)?;
        self.record_slots_changed()?;
        Ok(())
    }

    /// Removes the duress passphrase: its slot becomes a dummy again, so the
    /// spare store's key exists nowhere (crypto-shredded) and the key-slot
    /// file keeps its shape, then the spare store's files are removed. The
    /// store is renamed first, so a crash in between is finished at the
    /// next unlock with the vault's passphrase. `current` is the vault's own
    /// passphrase; from the spare store, or with the duress passphrase, it
    /// is refused.
    pub fn remove_duress(&mut self, current: &Passphrase) -> Result<(), OpenError> {
        let own = || {
            OpenError::NotRecordable(
                "the duress passphrase is removed after unlocking with the vault's own passphrase"
                    .into(),
            )
        };
        if self.is_spare() {
            return self.remove_duress_in_spare(current);
        }
        let slots = SlotFile::read(&self.slots_dir)?;
        let (key, real) = slots.unlock(current)?;
        if !crate::vault::head_opens(&self.dir, &key, self.vault_id) {
            return Err(own());
        }
        drop(key);
        let spare = self.dir.join(SPARE_DIR);
        let removing = self.dir.join(SPARE_REMOVING);
        let pending = std::fs::symlink_metadata(&removing).is_ok();
        if std::fs::symlink_metadata(&spare).is_err() && !pending {
            return Err(OpenError::NotRecordable(
                "no duress passphrase is set".into(),
            ));
        }
        if !pending {
            std::fs::rename(&spare, &removing)?;
            sync_dir(&self.dir)?;
        }
        finish_duress_removal(&self.slots_dir, &slots, real)?;
        self.record_slots_changed()?;
        Ok(())
    }

    /// `set_duress` in the spare store: answers as a vault without a duress
    /// passphrase would, the same checks in the same order and the same key
    /// derivations, and records the setting in the spare store (sealed), so
    /// that setting it again, or removing it, answers as a vault with one
    /// would. No slot is made: the passphrase given opens nothing (see
    /// docs/threat-model.md).
    fn set_duress_in_spare(
        &mut self,
        current: &Passphrase,
        duress: &Passphrase,
        outcome: DuressOutcome,
    ) -> Result<(), OpenError> {
        let state = |e: VaultError| OpenError::Damaged {
            what: e.to_string(),
        };
        if self.get_state(PRETEND_KEY).map_err(state)?.is_some() {
            return Err(OpenError::NotRecordable(
                "a duress passphrase is already set".into(),
            ));
        }
        let slots = SlotFile::read(&self.slots_dir)?;
        let (key, opened) = slots.unlock(current)?;
        if Some(slots.slots[opened].id) != self.spare_slot
            || !crate::vault::head_opens(&self.dir, &key, self.vault_id)
        {
            return Err(OpenError::WrongPassphrase);
        }
        drop(key);
        // Compared with this store's own slot only: trying every slot would
        // tell a coercer who types the real vault's passphrase here that it
        // is one (and count nothing). One derivation, as in a vault.
        let own = SlotFile {
            slots: vec![slots.slots[opened].clone()],
            ..slots.clone()
        };
        if own.unlock(duress).is_ok() {
            return Err(OpenError::NotRecordable(
                "the duress passphrase must differ from the vault's passphrase".into(),
            ));
        }
        // The derivation a real slot would cost, for the same time.
        let (salt, params) = proven_kdf(&slots, opened)?;
        // A slot as a vault would make (wrapping a key of no use), kept
        // sealed here: removing asks for the vault's own passphrase when
        // given this one, as a vault does for its duress passphrase.
        let _ = outcome;
        let pretend = slots.passphrase_slot_salted(&VaultKey::generate(), duress, params, &salt)?;
        let text = serde_json::to_vec(&pretend).map_err(|_| OpenError::Damaged {
            what: "a slot could not be encoded".into(),
        })?;
        self.put_state(PRETEND_KEY, &text).map_err(state)?;
        self.record_slots_changed()?;
        Ok(())
    }

    /// `remove_duress` in the spare store: as a vault with or without a
    /// duress passphrase would answer, after [`Vault::set_duress_in_spare`].
    fn remove_duress_in_spare(&mut self, current: &Passphrase) -> Result<(), OpenError> {
        let state = |e: VaultError| OpenError::Damaged {
            what: e.to_string(),
        };
        let mut slots = SlotFile::read(&self.slots_dir)?;
        // The pretend duress slot beside the file's, so that one derivation
        // tries them all, as in a vault.
        let pretend = self
            .get_state(PRETEND_KEY)
            .map_err(state)?
            .and_then(|b| serde_json::from_slice::<crate::keyslot::Slot>(&b).ok());
        let pretend_at = pretend.is_some().then_some(slots.slots.len());
        slots.slots.extend(pretend);
        let opened = slots.unlock_all(current)?;
        let ours = opened.iter().any(|(key, i)| {
            Some(slots.slots[*i].id) == self.spare_slot
                && crate::vault::head_opens(&self.dir, key, self.vault_id)
        });
        if !ours {
            // The pretend duress passphrase: as a vault answers its duress
            // passphrase here. Any other (the real vault's included): as a
            // vault answers a passphrase that opens nothing.
            if opened.iter().any(|(_, i)| Some(*i) == pretend_at) {
                return Err(OpenError::NotRecordable(
                    "the duress passphrase is removed after unlocking with the vault's own \
                     passphrase"
                        .into(),
                ));
            }
            return Err(OpenError::WrongPassphrase);
        }
        drop(opened);
        if pretend_at.is_none() {
            return Err(OpenError::NotRecordable(
                "no duress passphrase is set".into(),
            ));
        }
        self.delete_state(PRETEND_KEY).map_err(state)?;
        self.record_slots_changed()?;
        Ok(())
    }

    /// Records a change of the key slots in the custody log, as a
    /// passphrase change (a duress passphrase set or removed looks the same).
    fn record_slots_changed(&mut self) -> Result<(), OpenError> {
        self.append_custody(
            crate::custody::Action::PassphraseChanged,
            Default::default(),
        )
        .map_err(|e: VaultError| OpenError::ChangedNotRecorded(e.to_string()))
    }

    /// The number of wrong passphrases in a row after which the vault
    /// wipes itself, if a limit is set.
    pub fn attempt_limit(&self) -> Result<Option<u32>, OpenError> {
        Ok(SlotFile::read(&self.slots_dir)?.attempt_limit)
    }

    /// Sets (or with `None` removes) the number of wrong passphrases in a
    /// row after which the vault wipes itself.
    pub fn set_attempt_limit(&mut self, limit: Option<u32>) -> Result<(), OpenError> {
        if limit == Some(0) {
            return Err(OpenError::NotRecordable(
                "the limit must be at least one attempt".into(),
            ));
        }
        let mut slots = SlotFile::read(&self.slots_dir)?;
        slots.attempt_limit = limit;
        slots.write(&self.slots_dir)
    }
}

/// The salt and cost of slot `i`, which a passphrase just opened.
fn proven_kdf(
    slots: &SlotFile,
    i: usize,
) -> Result<(Vec<u8>, temoin_crypto::kdf::KdfParams), OpenError> {
    slots.slots[i]
        .kdf
        .as_ref()
        .and_then(|k| Some((hex::decode(&k.salt).ok()?, k.params)))
        .ok_or_else(|| OpenError::Damaged {
            what: "the key-slot file has a passphrase slot without a cost".into(),
        })
}
