//! The desk folder's plain files, each replaced whole and durably.
//!
//! These files (`desk.json`, `devices.json`, the keys) move into the
//! encrypted desk store when the desk becomes the trust anchor; until then
//! a write is a new file, fsync'd, renamed over the old one, the folder
//! fsync'd, and a secret is readable by its owner only from its first byte.

use std::path::Path;

use serde::Deserialize;

use crate::error::DeskError;

/// Replaces `path` durably.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_durably_mode(path, bytes, 0o644)
}

/// [`write_durably`] for a secret.
pub(crate) fn private_write(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    Ok(write_durably_mode(path, bytes, 0o600)?)
}

fn write_durably_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

pub(crate) fn load<T: for<'a> Deserialize<'a>>(path: &Path) -> Result<T, DeskError> {
    let bytes = std::fs::read(path).map_err(|_| {
        DeskError::Local(format!(
            "{} is missing: is this a desk folder (`temoin desk init`)?",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|_| DeskError::Local(format!("{} is malformed", path.display())))
}
