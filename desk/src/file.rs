//! The desk folder's own folders outside the store: readable by their
//! owner only.

use std::path::Path;

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
    fn private_folders_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let opened = dir.path().join("export");
        std::fs::create_dir(&opened).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&opened, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        private_dir(&opened).unwrap_or_else(|e| panic!("{e}"));
        let mode = std::fs::metadata(&opened)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
