//! The spare store a duress passphrase opens, as unlock meets it: opening
//! it (first destroying the real vault when that is the outcome chosen),
//! and finishing a removal of the duress passphrase that a crash cut short.
//! Setting and removing a duress passphrase are in `crate::duress`.

use temoin_crypto::key::VaultKey;

use super::*;
use crate::file::{sync_dir, SPARE_DIR, SPARE_REMOVING};
use crate::keyslot::PASSPHRASE;

/// The spare store's sealed state key for its outcome.
pub(crate) const OUTCOME_KEY: &str = "duress/outcome";

/// What the duress passphrase does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuressOutcome {
    /// Open the spare store; the real vault stays as it is.
    Decoy,
    /// Destroy the real vault's key and files, then open the spare store.
    Shred,
}

impl DuressOutcome {
    pub(crate) fn code(self) -> &'static str {
        match self {
            DuressOutcome::Decoy => "decoy",
            DuressOutcome::Shred => "shred",
        }
    }
}

/// Opens the spare store with the key a duress slot gave, first destroying
/// the real vault if that is the outcome chosen.
pub(crate) fn open_spare(
    dir: &Path,
    slots: &SlotFile,
    opened: usize,
    key: VaultKey,
) -> Result<Vault, OpenError> {
    let mut spare = Vault::open_with_key(&dir.join(SPARE_DIR), slots.vault_id, key)?;
    spare.slots_dir = dir.to_owned();
    spare.spare_slot = slots.slots.get(opened).map(|s| s.id);
    // An outcome that cannot be read opens the spare store as a decoy,
    // without a word: an error here, in front of whoever made the person
    // type the passphrase, would tell them it was the duress one.
    let outcome = spare.get_state(OUTCOME_KEY).ok().flatten();
    if outcome.as_deref().map(|b| &b[..]) == Some(DuressOutcome::Shred.code().as_bytes()) {
        shred_real_vault(dir, slots, opened)?;
        spare
            .put_state(OUTCOME_KEY, DuressOutcome::Decoy.code().as_bytes())
            .map_err(|e| OpenError::Damaged {
                what: e.to_string(),
            })?;
    }
    Ok(spare)
}

/// Replaces every passphrase slot but `keep` by a dummy made with `keep`'s
/// salt and cost, so the file keeps its shape and every slot its cost.
pub(crate) fn dummies_but(slots: &mut SlotFile, keep: usize) -> Result<(), OpenError> {
    let spec = slots
        .slots
        .get(keep)
        .and_then(|s| s.kdf.clone())
        .ok_or_else(|| OpenError::Damaged {
            what: "the key-slot file has a slot without its derivation".into(),
        })?;
    let salt = hex::decode(&spec.salt).map_err(|_| OpenError::Damaged {
        what: "the key-slot file has a malformed salt".into(),
    })?;
    for (i, slot) in slots.slots.iter_mut().enumerate() {
        if i != keep && slot.kind == PASSPHRASE {
            *slot = SlotFile::dummy_slot(&salt, spec.params);
        }
    }
    Ok(())
}

/// Finishes a removal of the duress passphrase that a crash cut short:
/// every slot but the real one (`real`, which the caller just opened)
/// becomes a dummy, then the spare store's files go. Does nothing if no
/// removal is under way.
pub(crate) fn finish_duress_removal(
    dir: &Path,
    slots: &SlotFile,
    real: usize,
) -> Result<(), OpenError> {
    let removing = dir.join(SPARE_REMOVING);
    if std::fs::symlink_metadata(&removing).is_err() {
        return Ok(());
    }
    let mut next = slots.clone();
    dummies_but(&mut next, real)?;
    next.write(dir)?;
    std::fs::remove_dir_all(&removing)?;
    sync_dir(dir)?;
    Ok(())
}

/// Replaces every slot but `keep` by a dummy, then removes the real
/// vault's files. The slots go first: once they are replaced, the real
/// vault key exists nowhere and the files left by a crash are noise.
fn shred_real_vault(dir: &Path, slots: &SlotFile, keep: usize) -> Result<(), OpenError> {
    let mut next = slots.clone();
    dummies_but(&mut next, keep)?;
    next.write(dir)?;
    for name in [
        crate::file::RECORDS_DIR,
        crate::file::BLOBS_DIR,
        "outbox",
        crate::head::FILE,
        crate::snapshot::FILE,
    ] {
        let p = dir.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p)?,
            Ok(_) => std::fs::remove_file(&p)?,
            Err(_) => {}
        }
    }
    sync_dir(dir)?;
    Ok(())
}
