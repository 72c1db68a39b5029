//! The running server's shared parts: its folder, settings, receipt key,
//! storage and state database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use temoin_crypto::sign::DeviceKey;
use tokio::sync::Mutex;

use crate::config::Config;
use crate::db::{sqlite_url, Db};
use crate::error::SetupError;
use crate::limit::Window;
use crate::storage::{LocalStorage, Storage};

/// The running server's shared parts.
#[derive(Debug)]
pub struct Server {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) receipt_key: DeviceKey,
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) db: Db,
    /// One lock per upload, so two PATCHes to one upload never interleave.
    pub(crate) uploads: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    /// Enrollment attempts in the current minute.
    pub(crate) enrollments: Window,
}

impl Server {
    /// Opens a server folder made by [`crate::init`]: connects to its
    /// database (the folder's own SQLite file unless the configuration
    /// names another), brings the schema up to date, and moves a state
    /// kept by an older version in `state.json` into it, once.
    pub async fn open(dir: &Path) -> Result<Server, SetupError> {
        let config: Config = serde_json::from_slice(
            &std::fs::read(dir.join("config.json")).map_err(|_| SetupError::NotAServerFolder)?,
        )?;
        let receipt_key = DeviceKey::from_sealed(&std::fs::read(dir.join("receipt.key"))?)
            .map_err(|_| SetupError::ReceiptKey)?;
        let url = config.database.clone().unwrap_or_else(|| sqlite_url(dir));
        let db = Db::open(&url).await?;
        let storage = LocalStorage {
            dir: dir.join("store"),
        };
        crate::legacy::import(dir, &db, &storage).await?;
        Ok(Server {
            dir: dir.to_owned(),
            enrollments: Window::new(config.max_enrollments_per_minute),
            config,
            receipt_key,
            storage: Box::new(storage),
            db,
            uploads: Mutex::new(BTreeMap::new()),
        })
    }

    /// The receipt key's public half (minisign base64).
    pub fn receipt_public_key(&self) -> String {
        self.receipt_key.public().to_minisign_base64()
    }

    /// Where an upload's bytes are kept while it is in progress.
    pub(crate) fn part_path(&self, id: &str) -> PathBuf {
        self.dir.join("uploads").join(format!("{id}.part"))
    }
}
