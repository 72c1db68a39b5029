//! The wrong-passphrase counter: counted before every derivation (a killed
//! process has already counted), reset by a passphrase that opens a slot,
//! and the wipe when the limit is reached.

use std::io::Write;
use std::path::Path;

use crate::error::OpenError;
use crate::file::{sync_dir, ATTEMPTS_FILE};
use crate::keyslot::SlotFile;

fn read_attempts(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join(ATTEMPTS_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Writes the counter atomically and durably (a torn write must not reset
/// it).
fn write_attempts(dir: &Path, n: u32) -> Result<(), OpenError> {
    let tmp = dir.join(format!("{ATTEMPTS_FILE}.tmp"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    f.write_all(n.to_string().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(ATTEMPTS_FILE))?;
    sync_dir(dir)?;
    Ok(())
}

/// Before a derivation: counts the attempt, or wipes if the limit was
/// already reached (a crash after the last wrong passphrase).
pub(crate) fn attempts_before(dir: &Path, slots: &SlotFile) -> Result<(), OpenError> {
    let n = read_attempts(dir);
    if let Some(limit) = slots.attempt_limit {
        if n >= limit {
            crate::wipe::wipe(dir)?;
            return Err(OpenError::NotAVault(dir.to_owned()));
        }
    }
    write_attempts(dir, n.saturating_add(1))
}

/// After a wrong passphrase: wipes if that was the last one allowed.
pub(crate) fn attempts_failed(dir: &Path, slots: &SlotFile) -> Result<(), OpenError> {
    if let Some(limit) = slots.attempt_limit {
        if read_attempts(dir) >= limit {
            crate::wipe::wipe(dir)?;
        }
    }
    Ok(())
}

/// After a passphrase that opened a slot.
pub(crate) fn attempts_reset(dir: &Path) -> Result<(), OpenError> {
    write_attempts(dir, 0)
}
