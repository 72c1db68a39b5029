//! Where finished bundles are kept.

use std::path::{Path, PathBuf};

/// Where finished bundles are kept. A local folder here; an S3-compatible
/// object store can implement the same operations later. What is stored is
/// counted in the database, not by asking the store.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Moves a finished, fsync'd file into the store under `bundle_id`,
    /// durably.
    fn put(&self, bundle_id: &str, from: &Path) -> std::io::Result<()>;
    /// The path to read a stored bundle from.
    fn path(&self, bundle_id: &str) -> PathBuf;
    /// Deletes a stored bundle.
    fn delete(&self, bundle_id: &str) -> std::io::Result<()>;
}

/// Bundles as files in a folder.
#[derive(Debug)]
pub struct LocalStorage {
    pub(crate) dir: PathBuf,
}

impl Storage for LocalStorage {
    fn put(&self, bundle_id: &str, from: &Path) -> std::io::Result<()> {
        std::fs::rename(from, self.path(bundle_id))?;
        std::fs::File::open(&self.dir)?.sync_all()
    }
    fn path(&self, bundle_id: &str) -> PathBuf {
        self.dir.join(format!("{bundle_id}.tar.age"))
    }
    fn delete(&self, bundle_id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(bundle_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}
