//! The desk folder's files outside the store (what `opened/` holds until
//! received cases move into the store too): each replaced whole and
//! durably, a new file fsync'd, renamed over the old one, the folder
//! fsync'd, readable by its owner only from its first byte.

use std::path::Path;

use serde::Deserialize;

use crate::error::DeskError;

/// Replaces `path` durably, readable by its owner only from its first
/// byte.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mode = 0o600;
    use std::io::Write;
    // `verification.json.tmp`, not `verification.tmp`: two files of one
    // stem never share a temporary file.
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
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

/// Makes a folder that holds keys or decrypted case material, readable by
/// its owner only (and narrows an existing one made before).
pub(crate) fn private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_decrypted_folders_are_the_owners_only_and_temps_do_not_collide() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let opened = dir.path().join("opened");
        std::fs::create_dir(&opened).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&opened, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        private_dir(&opened).unwrap_or_else(|e| panic!("{e}"));
        let mode = std::fs::metadata(&opened)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // verification.json's write leaves verification.txt's temporary name alone.
        let stray = dir.path().join("verification.txt.tmp");
        std::fs::write(&stray, b"x").unwrap_or_else(|e| panic!("{e}"));
        write_durably(&dir.path().join("verification.json"), b"{}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(stray.exists());
        assert!(!dir.path().join("verification.json.tmp").exists());
    }
}
