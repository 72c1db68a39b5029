//! Why the desk could not do something.

use temoin_sync::client::SyncError;

/// Why the desk could not do something.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// A local file.
    #[error("{0}")]
    Local(String),
    /// The server.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<std::io::Error> for DeskError {
    fn from(e: std::io::Error) -> Self {
        DeskError::Local(format!("input/output error: {e}"))
    }
}
