//! The running server's shared parts: its folder, settings, receipt key,
//! storage and state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use temoin_crypto::sign::DeviceKey;
use tokio::sync::Mutex;

use crate::config::Config;
use crate::error::{ApiError, SetupError};
use crate::state::{write_durably, ServerState};
use crate::storage::{LocalStorage, Storage};

/// The running server's shared parts.
#[derive(Debug)]
pub struct Server {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) receipt_key: DeviceKey,
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) state: Mutex<ServerState>,
    /// One lock per upload, so two PATCHes to one upload never interleave.
    pub(crate) uploads: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
}

impl Server {
    /// Opens a server folder made by [`crate::init`].
    pub fn open(dir: &Path) -> Result<Server, SetupError> {
        let config: Config = serde_json::from_slice(
            &std::fs::read(dir.join("config.json")).map_err(|_| SetupError::NotAServerFolder)?,
        )?;
        let state: ServerState = serde_json::from_slice(&std::fs::read(dir.join("state.json"))?)?;
        let receipt_key = DeviceKey::from_sealed(&std::fs::read(dir.join("receipt.key"))?)
            .map_err(|_| SetupError::ReceiptKey)?;
        // Unfinished writes of state files from a crash are dropped.
        let _ = std::fs::remove_file(dir.join("state.tmp"));
        Ok(Server {
            dir: dir.to_owned(),
            config,
            receipt_key,
            storage: Box::new(LocalStorage {
                dir: dir.join("store"),
            }),
            state: Mutex::new(state),
            uploads: Mutex::new(BTreeMap::new()),
        })
    }

    /// The receipt key's public half (minisign base64).
    pub fn receipt_public_key(&self) -> String {
        self.receipt_key.public().to_minisign_base64()
    }

    /// Changes the state: `f` works on a copy, which is saved and only then
    /// made current, so that a refused change or a failed save leaves the
    /// served state as it is on disk. The state's lock is held throughout.
    pub(crate) async fn change<T>(
        &self,
        f: impl FnOnce(&mut ServerState) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.state.lock().await;
        let mut state = guard.clone();
        let out = f(&mut state)?;
        self.save(&state).await?;
        *guard = state;
        Ok(out)
    }

    pub(crate) async fn save(&self, state: &ServerState) -> Result<(), ApiError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|_| ApiError::internal())?;
        let path = self.dir.join("state.json");
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(ApiError::io)
    }

    pub(crate) fn upload_paths(&self, id: &str) -> (PathBuf, PathBuf) {
        let base = self.dir.join("uploads");
        (
            base.join(format!("{id}.part")),
            base.join(format!("{id}.json")),
        )
    }
}
