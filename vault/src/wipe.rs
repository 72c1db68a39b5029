//! Panic wipe: make a vault unreadable at once, then remove it.
//!
//! The key slots go first: every record, payload and key of the vault is
//! sealed, directly or through the payload identity, under the vault key,
//! and the slots are the only place the vault key exists on disk. Once they
//! are overwritten and removed, nothing the vault sealed can be decrypted,
//! with or without the passphrase. Then the header of every payload file
//! is overwritten: a bundle OMCT's desk keeps as it arrived is sealed to
//! OMCT's keys, which exist outside the vault too. The rest of the folder
//! is then removed.
//!
//! A marker file (`wipe.pending`) is written and synced before anything is
//! destroyed, so a wipe cut short by a crash or a power cut is finished at
//! the next start ([`finish_interrupted_wipe`], which [`crate::Vault::unlock`]
//! and [`crate::Vault::create`] call first).
//!
//! What this does not do, and `docs/threat-model.md` says so to users: a
//! copy of the disk taken before the wipe still holds the old slots; on SSDs
//! (wear levelling) and copy-on-write or journalling file systems, the
//! overwritten bytes may survive in blocks the file system no longer uses;
//! and the marker, or the absence of a vault where the app expects one,
//! tells an examiner that a wipe happened.
//!
//! Only the files a vault is made of are removed: a wipe pointed at the
//! wrong folder destroys nothing else, and leaves the folder in place if
//! anything else is in it.

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::WipeError;
use crate::file::sync_dir;
use crate::keyslot;

/// The marker of a wipe in progress.
pub const MARKER: &str = "wipe.pending";

/// How far a wipe goes; anything short of [`WipeStage::Done`] exists for
/// tests of interrupted wipes.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WipeStage {
    /// The marker is written; nothing is destroyed yet.
    Marked,
    /// The key slots are overwritten and removed.
    SlotsDestroyed,
    /// Everything is removed.
    Done,
}

/// What a wipe did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WipeReport {
    /// Key-slot files overwritten and removed.
    pub slot_files: usize,
    /// Whether the vault's folder itself is gone (it stays when it holds
    /// files that are not the vault's).
    pub folder_removed: bool,
}

fn is_slot_file(name: &str) -> bool {
    name == keyslot::FILE || (name.starts_with(keyslot::FILE) && name.ends_with(".tmp"))
}

/// Names in a vault's folder that belong to the vault.
fn is_vault_entry(name: &str) -> bool {
    is_slot_file(name)
        || name == MARKER
        || name == crate::head::FILE
        || name.starts_with(crate::snapshot::FILE)
        || name == crate::file::RECORDS_DIR
        || name == crate::file::BLOBS_DIR
        || name == "outbox"
        || name == crate::file::SPARE_DIR
        || name == crate::file::SPARE_REMOVING
        || name.starts_with(crate::file::ATTEMPTS_FILE)
}

/// Overwrites a file in place with random bytes of its own length, syncs,
/// and removes it. In place, so that on a plain file system the blocks that
/// held the slots hold noise (a rename over it would leave them as they
/// were, merely unused).
fn shred(path: &Path) -> std::io::Result<()> {
    let len = fs::metadata(path)?.len();
    let mut f = OpenOptions::new().write(true).open(path)?;
    f.seek(SeekFrom::Start(0))?;
    let mut left = len;
    let mut noise = [0u8; 4096];
    while left > 0 {
        temoin_crypto::random_bytes(&mut noise);
        let n = left.min(noise.len() as u64) as usize;
        f.write_all(&noise[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    fs::remove_file(path)
}

/// Wipes the vault in `dir`. Needs no passphrase: a panic wipe must work
/// when the vault is locked, and it destroys, it reveals nothing.
pub fn wipe(dir: &Path) -> Result<WipeReport, WipeError> {
    wipe_until(dir, WipeStage::Done)
}

/// [`wipe`], stopping after `stage` (tests of interrupted wipes).
#[doc(hidden)]
pub fn wipe_until(dir: &Path, stage: WipeStage) -> Result<WipeReport, WipeError> {
    let marker = dir.join(MARKER);
    if !dir.join(keyslot::FILE).exists() && !marker.exists() {
        return Err(WipeError::NotAVault(dir.to_owned()));
    }
    let mut report = WipeReport::default();
    if !marker.exists() {
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&marker)
            .map_err(WipeError::NotStarted)?;
        f.sync_all().map_err(WipeError::NotStarted)?;
        sync_dir(dir).map_err(WipeError::NotStarted)?;
    }
    if stage == WipeStage::Marked {
        return Ok(report);
    }

    // 1. The key slots, and any half-written replacement of them.
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names.iter().filter(|n| is_slot_file(n)) {
        shred(&dir.join(name))?;
        report.slot_files += 1;
    }
    sync_dir(dir)?;
    if stage == WipeStage::SlotsDestroyed {
        return Ok(report);
    }

    // 2. The headers of the payloads: a bundle the desk keeps as it
    // arrived is sealed to OMCT's keys, not to the vault key, so the slots
    // do not cover it; with its header gone, no key opens it. Every name
    // and any other name of the same file (a copy left in the inbox) goes
    // with it; a file that is not a regular one is left to step 3.
    let blobs = dir.join(crate::file::BLOBS_DIR);
    for folder in [blobs.join(crate::file::STAGING_DIR), blobs] {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                // Best effort: a file the disk will not let be overwritten
                // (a full copy-on-write disk) must not keep the rest of the
                // vault from going.
                if let Ok(f) = OpenOptions::new().read(true).write(true).open(entry.path()) {
                    let _ = crate::file::overwrite_header(f);
                }
            }
        }
    }

    // 3. Everything else of the vault's; nothing that is not.
    for name in names
        .iter()
        .filter(|n| is_vault_entry(n) && !is_slot_file(n) && n.as_str() != MARKER)
    {
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path)?,
            Ok(_) => fs::remove_file(&path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    sync_dir(dir)?;
    fs::remove_file(&marker)?;
    sync_dir(dir)?;
    report.folder_removed = fs::remove_dir(dir).is_ok();
    Ok(report)
}

/// Finishes a wipe that a crash interrupted. Returns whether there was one.
pub fn finish_interrupted_wipe(dir: &Path) -> Result<bool, WipeError> {
    if !dir.join(MARKER).exists() {
        return Ok(false);
    }
    wipe(dir)?;
    Ok(true)
}
