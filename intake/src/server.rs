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
use crate::s3::{S3Settings, S3Store};
use crate::settings::ServeSettings;
use crate::storage::{LocalStorage, Store};

/// The running server's shared parts.
#[derive(Debug)]
pub struct Server {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) receipt_key: DeviceKey,
    /// The keys receipts were signed with before a rotation: a stored
    /// receipt is signed again only if this key or one of these signed it.
    pub(crate) previous_receipt_keys: Vec<temoin_crypto::sign::DevicePublicKey>,
    pub(crate) store: Store,
    pub(crate) db: Db,
    /// One lock per upload, so two PATCHes to one upload never interleave.
    pub(crate) uploads: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    /// The SHA-256 of each local upload's bytes so far, with the offset it
    /// covers, as this process received them (see `upload::running_hash`).
    pub(crate) running: Mutex<BTreeMap<String, (u64, sha2::Sha256)>>,
}

impl Server {
    /// Opens a server folder made by [`crate::init`], laid out as `init`
    /// made it: see [`Server::open_with`].
    pub async fn open(dir: &Path) -> Result<Server, SetupError> {
        Self::open_with(&ServeSettings::for_dir(dir, ([127, 0, 0, 1], 0).into())).await
    }

    /// Opens the server that `settings` describe: reads the folder's
    /// `config.json` with the settings' limits over it, connects to the
    /// database (the settings', else the one `config.json` names, else
    /// the folder's own SQLite file), brings the schema up to date, and
    /// moves a state kept by an older version in `state.json` into it,
    /// once.
    pub async fn open_with(settings: &ServeSettings) -> Result<Server, SetupError> {
        let dir = &settings.dir;
        let config = config_of(settings)?;
        let key = std::fs::read(&settings.receipt_key).map_err(|why| SetupError::Unreadable {
            what: "receipt key",
            path: settings.receipt_key.clone(),
            why,
        })?;
        let receipt_key = DeviceKey::from_sealed(&key)
            .map_err(|_| SetupError::ReceiptKey(settings.receipt_key.clone()))?;
        let previous_receipt_keys = settings
            .previous_receipt_keys
            .iter()
            .map(|k| temoin_crypto::sign::DevicePublicKey::from_minisign(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| SetupError::PreviousReceiptKey)?;
        let url = database_url(settings, &config);
        let store = match &settings.s3 {
            None => {
                check_beside(&settings.store, &settings.uploads())?;
                Store::Local(LocalStorage {
                    dir: settings.store.clone(),
                })
            }
            Some(place) => {
                let secret =
                    std::fs::read_to_string(&place.secret_access_key_file).map_err(|why| {
                        SetupError::Unreadable {
                            what: "S3 secret access key file",
                            path: place.secret_access_key_file.clone(),
                            why,
                        }
                    })?;
                Store::S3(
                    S3Store::open(&S3Settings {
                        endpoint: place.endpoint.clone(),
                        bucket: place.bucket.clone(),
                        region: place.region.clone(),
                        access_key_id: place.access_key_id.clone(),
                        secret_access_key: secret.trim_end_matches(['\n', '\r']).to_owned(),
                        allow_http: place.allow_http,
                    })
                    .await?,
                )
            }
        };
        let db = Db::open(&url).await?;
        match &store {
            Store::Local(local) => crate::legacy::import(dir, &db, local).await?,
            Store::S3(_) => {
                if dir.join("state.json").exists() {
                    return Err(SetupError::Storage(
                        "this folder holds an older server's state.json: start it once with \
                         the local store to move that state into the database, then move its \
                         bundles into the bucket"
                            .into(),
                    ));
                }
            }
        }
        Ok(Server {
            dir: dir.to_owned(),
            config,
            receipt_key,
            previous_receipt_keys,
            store,
            db,
            uploads: Mutex::new(BTreeMap::new()),
            running: Mutex::new(BTreeMap::new()),
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

/// Refuses a bundle store that a finished upload cannot be renamed into:
/// one that is not a folder, or is on another filesystem than the uploads
/// (a rename there fails only when the first bundle is finished).
fn check_beside(store: &Path, uploads: &Path) -> Result<(), SetupError> {
    let refuse = || SetupError::StoreNotBeside {
        store: store.to_owned(),
        uploads: uploads.to_owned(),
    };
    let s = std::fs::metadata(store).map_err(|_| refuse())?;
    let u = std::fs::metadata(uploads).map_err(|_| refuse())?;
    if !s.is_dir() {
        return Err(refuse());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if s.dev() != u.dev() {
            return Err(refuse());
        }
    }
    #[cfg(not(unix))]
    let _ = u;
    Ok(())
}

/// The folder's `config.json`, with the settings' limits and database
/// over it.
fn config_of(settings: &ServeSettings) -> Result<Config, SetupError> {
    let mut config: Config = serde_json::from_slice(
        &std::fs::read(settings.dir.join("config.json"))
            .map_err(|_| SetupError::NotAServerFolder)?,
    )?;
    settings.limits.apply(&mut config);
    if let Some(url) = &settings.database {
        config.database = Some(url.clone());
    }
    Ok(config)
}

/// The database the server opens: the settings', else the one
/// `config.json` names, else the folder's own SQLite file.
fn database_url(settings: &ServeSettings, config: &Config) -> String {
    config
        .database
        .clone()
        .unwrap_or_else(|| sqlite_url(&settings.dir))
}

/// The SQLite file the server would open, if its state is in one (not in
/// PostgreSQL, nor in memory).
pub(crate) fn sqlite_file(settings: &ServeSettings) -> Result<Option<PathBuf>, SetupError> {
    let url = database_url(settings, &config_of(settings)?);
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .map_err(|_| SetupError::Database("the database URL is not valid".into()))?;
    let file = options.get_filename();
    Ok((file != std::path::Path::new(":memory:")).then(|| file.to_owned()))
}
