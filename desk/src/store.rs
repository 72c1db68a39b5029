//! The desk's encrypted store: OMCT's age identities, the root key, the
//! desk's signing key, the settings, the device registry and the queue of
//! acknowledgements, sealed at rest in a vault (the same library, format and
//! passphrase protection as a defender's) in `DIR/store/`.
//!
//! A desk made before the store kept these as plain files (`omct.key`,
//! `root.key`, `desk.key`, `desk.json`, `devices.json`, `acks/`); `desk
//! init` on such a folder moves them in once, then removes the plain files.
//! Removing a file does not scrub the blocks it used on every file system:
//! `docs/handover.md` says what else the desk machine needs (full-disk
//! encryption).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use temoin_bundle::PayloadIdentity;
use temoin_crypto::sign::DeviceKey;
use temoin_sync::client::Endpoint;
use temoin_vault::{KdfChoice, OpenError, Passphrase, Vault};
use zeroize::Zeroizing;

use crate::config::{sign_recipients, DeskConfig, Devices};
use crate::error::DeskError;

const IDENTITIES: &str = "desk/omct-identities";
const ROOT_KEY: &str = "desk/root-key";
const DESK_KEY: &str = "desk/desk-key";
const REGISTRY: &str = "desk/registry";
/// Written last when a desk is made or migrated: a store without it is a
/// desk whose making was cut short.
const CONFIG: &str = "desk/config";
/// Signed acknowledgements waiting for the server, one per bundle id.
pub(crate) const ACK_QUEUE: &str = "desk/ack-queue/";
/// Set while an officer's desk waits for its officer code (`desk join`).
const OFFICER_WAITING: &str = "desk/officer-waiting";

/// The plain files a desk made before the encrypted store kept.
const PLAIN: [&str; 5] = [
    "omct.key",
    "root.key",
    "desk.key",
    "devices.json",
    "desk.json",
];

/// An unlocked desk: its folder and its encrypted store. One command or
/// window at a time holds it (a second gets "in use").
pub struct Desk {
    dir: PathBuf,
    store: Vault,
    /// What the last pull exchanged of messages.
    pub(crate) last_exchange: crate::MessageExchange,
    /// `DIR/.lock`, held while the desk is open and while it is made.
    _lock: std::fs::File,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("dir", &self.dir).finish()
    }
}

fn store_dir(dir: &Path) -> PathBuf {
    dir.join("store")
}

/// A store being made, before it is renamed into place.
const STAGING: &str = "store.new-";

/// Takes the desk folder's lock: one command (or window) at a time makes,
/// migrates or opens a desk.
fn lock(dir: &Path) -> Result<std::fs::File, DeskError> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let path = dir.join(".lock");
    let f = options.open(&path).map_err(|e| io_at(&path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(in_use()),
        Err(std::fs::TryLockError::Error(e)) => Err(io_at(&path, e)),
    }
}

fn io_at(path: &Path, e: std::io::Error) -> DeskError {
    DeskError::Local(format!("{}: {e}", path.display()))
}

/// Whether `name` is a staging folder's name as [`Desk::create`] makes it
/// (`store.new-` and 32 lowercase hex digits).
fn is_staging(name: &str) -> bool {
    name.strip_prefix(STAGING).is_some_and(|rest| {
        rest.len() == 32 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Where the SHA-256 of each plain file a migration took is kept: only a
/// file with that content is ever removed from the folder.
const MIGRATED: &str = "desk/migrated";

fn in_use() -> DeskError {
    DeskError::Local(
        "the desk is open in another Témoin command or window; wait for it to finish".into(),
    )
}

fn open_error(e: OpenError) -> DeskError {
    DeskError::Local(match e {
        OpenError::WrongPassphrase => "wrong passphrase for this desk".into(),
        OpenError::InUse => return in_use(),
        other => format!("the desk's encrypted store: {other}"),
    })
}

pub(crate) fn store_error(e: temoin_vault::VaultError) -> DeskError {
    DeskError::Local(format!("the desk's encrypted store: {e}"))
}

impl Desk {
    /// Makes a desk in `dir`, or finishes one: a new desk gets OMCT's age
    /// identity, the root key and the desk key, publishes the signed
    /// recipient list on the server (`endpoint`, with `desk_token`), and
    /// keeps all of it in a store sealed with `passphrase`. A folder that
    /// holds a desk of plain files has them moved into the store (the
    /// server settings are those it had; `endpoint` may be `None`), then
    /// the plain files removed. A making cut short (the server unreachable,
    /// a crash) is finished by running it again with the same passphrase.
    /// Returns the desk and OMCT's current recipient.
    pub async fn create(
        dir: &Path,
        passphrase: &Passphrase,
        kdf: KdfChoice,
        server: Option<(Endpoint, String)>,
    ) -> Result<(Desk, String), DeskError> {
        let store = store_dir(dir);
        if server.is_none() && !store.exists() && !dir.join("desk.json").exists() {
            return Err(no_server());
        }
        crate::file::private_dir(dir)?;
        crate::file::private_dir(&dir.join("inbox"))?;
        let held = lock(dir)?;
        // What a making cut short before its store was renamed into place
        // left: a store nobody can have used. Only these are ever removed.
        for entry in std::fs::read_dir(dir)?.flatten() {
            let path = entry.path();
            let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            if is_dir && is_staging(&entry.file_name().to_string_lossy()) {
                std::fs::remove_dir_all(&path).map_err(|e| io_at(&path, e))?;
            }
        }
        let vault = if store.exists() {
            match Vault::unlock(&store, passphrase) {
                Ok(v) => v,
                Err(OpenError::NotAVault(_)) => {
                    return Err(DeskError::Local(format!(
                        "{} is not a desk's store; nothing was changed (move it away to make a desk here)",
                        store.display()
                    )))
                }
                Err(e) => return Err(open_error(e)),
            }
        } else {
            // Made aside and renamed into place whole: a crash never leaves
            // a half-made `store` for a later run to wonder about.
            let staging = dir.join(format!("{STAGING}{}", uuid::Uuid::new_v4().simple()));
            drop(Vault::create(&staging, passphrase, kdf).map_err(open_error)?);
            std::fs::rename(&staging, &store)?;
            std::fs::File::open(dir)?.sync_all()?;
            Vault::unlock(&store, passphrase).map_err(open_error)?
        };
        let mut desk = Desk {
            dir: dir.to_owned(),
            store: vault,
            last_exchange: Default::default(),
            _lock: held,
        };
        if desk.get(CONFIG)?.is_some() {
            let left = desk.finish_migration()?;
            if !left.is_empty() {
                return Err(DeskError::Local(format!(
                    "this folder is already a desk, and {} beside its store {} not what the store took in: left as {}. \
                     If {} an older desk, make a desk of {} in another folder",
                    left.join(", "),
                    if left.len() == 1 { "is" } else { "are" },
                    if left.len() == 1 { "it is" } else { "they are" },
                    if left.len() == 1 { "it is" } else { "they are" },
                    if left.len() == 1 { "it" } else { "them" },
                )));
            }
            return Err(DeskError::Local(
                "this folder is already a desk; nothing was changed".into(),
            ));
        }
        if dir.join("desk.json").exists() {
            let recipient = desk.migrate()?;
            return Ok((desk, recipient));
        }
        let (endpoint, token) = server.ok_or_else(no_server)?;
        // The keys are sealed in the store before anything is published:
        // nothing is ever sealed to a key the desk could lose.
        if desk
            .store
            .get_state(IDENTITIES)
            .map_err(store_error)?
            .is_none()
        {
            let identity = PayloadIdentity::generate();
            desk.put(IDENTITIES, identity.key_file_for_export().as_bytes())?;
        }
        if desk
            .store
            .get_state(ROOT_KEY)
            .map_err(store_error)?
            .is_none()
        {
            desk.put(
                ROOT_KEY,
                DeviceKey::generate().secret_for_sealing().as_ref(),
            )?;
        }
        let recipient = desk
            .identities()?
            .first()
            .map(|i| i.recipient().to_string())
            .ok_or_else(|| DeskError::Local("the desk's store holds no OMCT key".into()))?;
        let root = desk.root_key()?;
        let desk_public = desk.desk_key()?.public().to_minisign_base64();
        let list = sign_recipients(
            &root,
            std::slice::from_ref(&recipient),
            Some(&desk_public),
            &[],
        );
        crate::conn::publish(&endpoint, &token, &root, &list).await?;
        desk.save_registry(&Devices::default())?;
        desk.save_config(&DeskConfig {
            endpoint,
            desk_token: token,
            recipients: list,
            officers: Vec::new(),
            officer_of: None,
        })?;
        Ok((desk, recipient))
    }

    /// Opens the desk in `dir` with its passphrase.
    pub fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<Desk, DeskError> {
        let store = store_dir(dir);
        if !store.exists() {
            return Err(DeskError::Local(if dir.join("desk.json").exists() {
                format!(
                    "this desk keeps its keys in plain files: run `temoin desk init --dir {}` once, with a passphrase, to move them into an encrypted store",
                    dir.display()
                )
            } else {
                format!(
                    "{} is not a desk folder (make one with `temoin desk init`)",
                    dir.display()
                )
            }));
        }
        let held = lock(dir)?;
        let desk = Desk {
            dir: dir.to_owned(),
            store: Vault::unlock(&store, passphrase).map_err(open_error)?,
            last_exchange: Default::default(),
            _lock: held,
        };
        if desk.get(CONFIG)?.is_none() {
            if desk.get(OFFICER_WAITING)?.is_some() {
                return Err(DeskError::Local(format!(
                    "this officer's desk has not joined OMCT's desk yet: give its recipient (`temoin desk init --officer --dir {0}` shows it again) to OMCT's desk, then run `temoin desk join --dir {0} --code-file FILE` with the officer code it gives you",
                    dir.display()
                )));
            }
            return Err(DeskError::Local(format!(
                "making this desk was cut short: run `temoin desk init --dir {}` again with the same passphrase",
                dir.display()
            )));
        }
        // What is left (files that are not what the store took) stays;
        // `desk init` names it.
        desk.finish_migration()?;
        Ok(desk)
    }

    /// The desk folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves a desk of plain files into the store, then removes them.
    fn migrate(&mut self) -> Result<String, DeskError> {
        let dir = self.dir.clone();
        let read = |name: &str| -> Result<Option<Zeroizing<Vec<u8>>>, DeskError> {
            match std::fs::read(dir.join(name)) {
                Ok(b) => Ok(Some(Zeroizing::new(b))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let missing =
            |name: &str| DeskError::Local(format!("{name} is missing from the desk folder"));
        let identities = read("omct.key")?.ok_or_else(|| missing("omct.key"))?;
        let text = std::str::from_utf8(&identities)
            .map_err(|_| DeskError::Local("omct.key is not an age identity file".into()))?;
        PayloadIdentity::from_identity_file(text)
            .map_err(|_| DeskError::Local("omct.key is not an age identity file".into()))?;
        let root = read("root.key")?.ok_or_else(|| missing("root.key"))?;
        DeviceKey::from_sealed(&root)
            .map_err(|_| DeskError::Local("root.key is damaged".into()))?;
        let config: DeskConfig = parse(
            &read("desk.json")?.ok_or_else(|| missing("desk.json"))?,
            "desk.json",
        )?;
        let devices: Devices = match read("devices.json")? {
            Some(b) => parse(&b, "devices.json")?,
            None => Devices::default(),
        };
        self.put(IDENTITIES, &identities)?;
        self.put(ROOT_KEY, &root)?;
        if let Some(key) = read("desk.key")? {
            DeviceKey::from_sealed(&key)
                .map_err(|_| DeskError::Local("desk.key is damaged".into()))?;
            self.put(DESK_KEY, &key)?;
        }
        self.save_registry(&devices)?;
        let queue = self.dir.join("acks");
        if let Ok(entries) = std::fs::read_dir(&queue) {
            for e in entries.flatten() {
                let path = e.path();
                let Some(id) = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .filter(|s| uuid::Uuid::parse_str(s).is_ok())
                else {
                    continue;
                };
                let bytes = std::fs::read(&path)?;
                self.put(&format!("{ACK_QUEUE}{id}"), &bytes)?;
            }
        }
        let mut taken = std::collections::BTreeMap::new();
        for name in PLAIN {
            if let Some(bytes) = read(name)? {
                taken.insert(name.to_owned(), sha256_hex(&bytes));
            }
        }
        self.put(MIGRATED, &serde_json::to_vec(&taken).unwrap_or_default())?;
        // The settings last: until they are in, the store is a making cut
        // short, and the plain files are still all there.
        self.save_config(&config)?;
        self.finish_migration()?;
        let list: temoin_proto::recipients::RecipientList =
            serde_json::from_str(&config.recipients.list)
                .map_err(|_| DeskError::Local("desk.json's recipient list is damaged".into()))?;
        Ok(list.recipients.first().cloned().unwrap_or_default())
    }

    /// Removes what a desk of plain files kept, once the store holds it
    /// (its settings are in): each plain file whose content is what the
    /// migration took (by SHA-256), the temporary files the old writes left
    /// after a crash, and the queue of acknowledgements. Run at every
    /// unlock, so that a migration cut short after the store took
    /// everything does not leave secrets in the clear. A plain file with
    /// other content (another desk's, copied here) is never removed: its
    /// name is returned. A desk that was never migrated removes nothing.
    fn finish_migration(&self) -> Result<Vec<String>, DeskError> {
        let taken: std::collections::BTreeMap<String, String> = match self.get(MIGRATED)? {
            Some(b) => parse(&b, "the record of the migration")?,
            None => return Ok(Vec::new()),
        };
        let mut removed = false;
        let mut left = Vec::new();
        let remove = |path: &Path| -> Result<bool, DeskError> {
            match std::fs::remove_file(path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(io_at(path, e)),
            }
        };
        for name in PLAIN {
            let path = self.dir.join(name);
            let Ok(bytes) = std::fs::read(&path).map(Zeroizing::new) else {
                continue;
            };
            if taken.get(name) == Some(&sha256_hex(&bytes)) {
                removed |= remove(&path)?;
            } else {
                left.push(name.to_owned());
            }
        }
        // The old writes' temporary files: `desk.json.tmp` since 8c11953,
        // `desk.tmp` (and the like) before.
        for name in PLAIN {
            let stem = name.split('.').next().unwrap_or(name);
            for tmp in [format!("{name}.tmp"), format!("{stem}.tmp")] {
                removed |= remove(&self.dir.join(tmp))?;
            }
        }
        let queue = self.dir.join("acks");
        if queue.is_dir() {
            std::fs::remove_dir_all(&queue).map_err(|e| io_at(&queue, e))?;
            removed = true;
        }
        if removed {
            std::fs::File::open(&self.dir)?.sync_all()?;
        }
        Ok(left)
    }

    /// What the last [`Desk::pull`] exchanged of messages with the devices.
    pub fn last_exchange(&self) -> &crate::MessageExchange {
        &self.last_exchange
    }

    /// The store itself, for the received cases.
    pub(crate) fn vault(&mut self) -> &mut Vault {
        &mut self.store
    }

    /// The store, to read.
    pub(crate) fn vault_ref(&self) -> &Vault {
        &self.store
    }

    pub(crate) fn put(&mut self, name: &str, value: &[u8]) -> Result<(), DeskError> {
        self.store.put_state(name, value).map_err(store_error)
    }

    pub(crate) fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, DeskError> {
        self.store.get_state(name).map_err(store_error)
    }

    pub(crate) fn names(&self, prefix: &str) -> Result<Vec<String>, DeskError> {
        self.store.state_keys(prefix).map_err(store_error)
    }

    pub(crate) fn remove(&mut self, name: &str) -> Result<(), DeskError> {
        self.store.delete_state(name).map_err(store_error)
    }

    fn require(&self, name: &str, what: &str) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        self.get(name)?
            .ok_or_else(|| DeskError::Local(format!("the desk's store has lost {what}")))
    }

    /// The settings.
    pub(crate) fn config(&self) -> Result<DeskConfig, DeskError> {
        parse(
            &self.require(CONFIG, "its settings")?,
            "the desk's settings",
        )
    }

    pub(crate) fn save_config(&mut self, c: &DeskConfig) -> Result<(), DeskError> {
        let bytes =
            Zeroizing::new(serde_json::to_vec(c).map_err(|e| DeskError::Local(e.to_string()))?);
        self.put(CONFIG, &bytes)
    }

    /// The device registry.
    pub(crate) fn registry(&self) -> Result<Devices, DeskError> {
        match self.get(REGISTRY)? {
            Some(b) => parse(&b, "the device registry"),
            None => Ok(Devices::default()),
        }
    }

    pub(crate) fn save_registry(&mut self, d: &Devices) -> Result<(), DeskError> {
        let bytes =
            Zeroizing::new(serde_json::to_vec(d).map_err(|e| DeskError::Local(e.to_string()))?);
        self.put(REGISTRY, &bytes)
    }

    /// OMCT's root signing key.
    pub(crate) fn root_key(&self) -> Result<DeviceKey, DeskError> {
        DeviceKey::from_sealed(&self.require(ROOT_KEY, "OMCT's root key")?)
            .map_err(|_| DeskError::Local("the root key in the desk's store is damaged".into()))
    }

    /// OMCT's root public key (minisign base64): the root key's, or, at an
    /// officer's desk, the one its officer code gave.
    pub(crate) fn root_public(&self) -> Result<String, DeskError> {
        if self.get(ROOT_KEY)?.is_none() {
            if let Some(o) = self.config()?.officer_of {
                return Ok(o.root_key);
            }
        }
        Ok(self.root_key()?.public().to_minisign_base64())
    }

    /// Whether this is another officer's desk (no root key: it opens and
    /// reads every bundle, and OMCT's desk approves devices, answers them
    /// and acknowledges bundles).
    pub fn is_officer(&self) -> Result<bool, DeskError> {
        Ok(self.config()?.officer_of.is_some())
    }

    /// Refuses what only OMCT's desk (the one holding the root key) does.
    pub(crate) fn only_omct_desk(&self, what: &str) -> Result<(), DeskError> {
        if self.is_officer()? {
            return Err(DeskError::Local(format!(
                "an officer's desk cannot {what}: OMCT's desk, which holds the root key, does"
            )));
        }
        Ok(())
    }

    /// Makes another officer's desk in `dir`: a store sealed with
    /// `passphrase` holding this officer's own age identity and signing
    /// key, and no root key. Returns its age recipient, which OMCT's desk
    /// adds to the recipient list (`desk officer add`); run again, it
    /// returns the same recipient until the desk has joined.
    pub fn create_officer(
        dir: &Path,
        passphrase: &Passphrase,
        kdf: KdfChoice,
    ) -> Result<String, DeskError> {
        crate::file::private_dir(dir)?;
        crate::file::private_dir(&dir.join("inbox"))?;
        let held = lock(dir)?;
        let store = store_dir(dir);
        if !store.exists() {
            let staging = dir.join(format!("{STAGING}{}", uuid::Uuid::new_v4().simple()));
            {
                let mut v = Vault::create(&staging, passphrase, kdf).map_err(open_error)?;
                let identity = PayloadIdentity::generate();
                v.put_state(IDENTITIES, identity.key_file_for_export().as_bytes())
                    .map_err(store_error)?;
                v.put_state(
                    DESK_KEY,
                    DeviceKey::generate().secret_for_sealing().as_ref(),
                )
                .map_err(store_error)?;
                v.put_state(OFFICER_WAITING, b"1").map_err(store_error)?;
            }
            std::fs::rename(&staging, &store)?;
            std::fs::File::open(dir)?.sync_all()?;
        }
        let desk = Desk {
            dir: dir.to_owned(),
            store: Vault::unlock(&store, passphrase).map_err(open_error)?,
            last_exchange: Default::default(),
            _lock: held,
        };
        if desk.get(CONFIG)?.is_some() || desk.get(OFFICER_WAITING)?.is_none() {
            return Err(DeskError::Local(
                "this folder is already a desk; nothing was changed".into(),
            ));
        }
        desk.identities()?
            .first()
            .map(|i| i.recipient().to_string())
            .ok_or_else(|| DeskError::Local("the desk's store holds no key".into()))
    }

    /// Joins an officer's desk made with [`Desk::create_officer`] to OMCT's
    /// desk with the officer code it issued: the server's recipient list
    /// must carry OMCT's root signature and name this desk's recipient, and
    /// the officer's token must work, before anything is kept.
    pub async fn join(
        dir: &Path,
        passphrase: &Passphrase,
        code: &temoin_proto::desk::OfficerCode,
    ) -> Result<Desk, DeskError> {
        let held = lock(dir)?;
        let store = store_dir(dir);
        if !store.exists() {
            return Err(DeskError::Local(format!(
                "{} is not an officer's desk (make one with `temoin desk init --officer`)",
                dir.display()
            )));
        }
        let mut desk = Desk {
            dir: dir.to_owned(),
            store: Vault::unlock(&store, passphrase).map_err(open_error)?,
            last_exchange: Default::default(),
            _lock: held,
        };
        if desk.get(OFFICER_WAITING)?.is_none() {
            return Err(DeskError::Local(
                "this desk has already joined (or is OMCT's desk itself); nothing was changed"
                    .into(),
            ));
        }
        let mine = desk
            .identities()?
            .first()
            .map(|i| i.recipient().to_string())
            .unwrap_or_default();
        let config = crate::officer::check_code(code, &mine).await?;
        desk.save_registry(&Devices::default())?;
        desk.save_config(&config)?;
        desk.remove(OFFICER_WAITING)?;
        Ok(desk)
    }

    /// The desk's signing key for acknowledgements, made the first time it
    /// is needed (a desk made before acknowledgements has none until then,
    /// and publishes it at its next contact with the server).
    pub(crate) fn desk_key(&mut self) -> Result<DeviceKey, DeskError> {
        match self.get(DESK_KEY)? {
            Some(b) => DeviceKey::from_sealed(&b).map_err(|_| {
                DeskError::Local("the desk key in the desk's store is damaged".into())
            }),
            None => {
                let key = DeviceKey::generate();
                self.put(DESK_KEY, key.secret_for_sealing().as_ref())?;
                Ok(key)
            }
        }
    }

    /// OMCT's age identities, newest first.
    pub(crate) fn identities(&self) -> Result<Vec<PayloadIdentity>, DeskError> {
        let bytes = self.require(IDENTITIES, "OMCT's keys")?;
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| PayloadIdentity::from_identity_file(t).ok())
            .ok_or_else(|| DeskError::Local("OMCT's keys in the desk's store are damaged".into()))
    }

    /// Adds a new age identity before the others.
    pub(crate) fn add_identity(&mut self, identity: &PayloadIdentity) -> Result<(), DeskError> {
        let old = self.require(IDENTITIES, "OMCT's keys")?;
        let mut text = Zeroizing::new(identity.key_file_for_export().as_bytes().to_vec());
        text.push(b'\n');
        text.extend_from_slice(&old);
        self.put(IDENTITIES, &text)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn no_server() -> DeskError {
    DeskError::Local(
        "a new desk needs its intake server: give --server, --pin and --desk-token-file".into(),
    )
}

fn parse<T: for<'a> Deserialize<'a>>(bytes: &[u8], what: &str) -> Result<T, DeskError> {
    serde_json::from_slice(bytes).map_err(|_| DeskError::Local(format!("{what} is malformed")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Approved;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .block_on(f)
    }

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    fn err<T, E: std::fmt::Display>(r: Result<T, E>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    /// Every byte of every file under `dir`.
    fn all_bytes(dir: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        for e in ok(std::fs::read_dir(dir)).flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_bytes(&p));
            } else {
                out.extend(ok(std::fs::read(&p)));
            }
        }
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// A desk folder as a desk made before the store left it.
    struct Plain {
        identity: String,
        root: DeviceKey,
        token: String,
        device: String,
        ack_id: String,
    }

    fn plain_desk(dir: &Path) -> Plain {
        let identity = PayloadIdentity::generate();
        let root = DeviceKey::generate();
        let desk_key = DeviceKey::generate();
        let recipient = identity.recipient().to_string();
        let list = sign_recipients(&root, std::slice::from_ref(&recipient), None, &[]);
        let token = "d3sk-t0ken-that-must-not-stay-in-the-clear".to_owned();
        let config = DeskConfig {
            endpoint: Endpoint {
                url: "https://127.0.0.1:9".into(),
                pin: format!("sha256:{}", "ab".repeat(32)),
                proxy: None,
                timeout_secs: None,
            },
            desk_token: token.clone(),
            recipients: list,
            officers: Vec::new(),
            officer_of: None,
        };
        let device = DeviceKey::generate().public();
        let mut devices = Devices::default();
        devices.approved.insert(
            device.id_hex(),
            Approved {
                public_key: device.to_minisign_base64(),
                label: "partner in the field".into(),
                approved_at: "2026-01-01T00:00:00Z".into(),
                recipient: None,
            },
        );
        devices
            .sequences
            .entry(device.id_hex())
            .or_default()
            .insert(1, "aa".repeat(32));
        ok(std::fs::create_dir_all(dir.join("acks")));
        let ack_id = uuid::Uuid::new_v4().to_string();
        let files: [(&str, Vec<u8>); 6] = [
            (
                "omct.key",
                identity.key_file_for_export().as_bytes().to_vec(),
            ),
            ("root.key", root.secret_for_sealing().to_vec()),
            ("desk.key", desk_key.secret_for_sealing().to_vec()),
            ("desk.json", ok(serde_json::to_vec(&config))),
            ("devices.json", ok(serde_json::to_vec(&devices))),
            (
                &format!("acks/{ack_id}.json"),
                br#"{"list":"{}","signature":"x"}"#.to_vec(),
            ),
        ];
        for (name, bytes) in files {
            ok(std::fs::write(dir.join(name), bytes));
        }
        Plain {
            identity: identity.key_file_for_export().to_string(),
            root,
            token,
            device: device.id_hex(),
            ack_id,
        }
    }

    #[test]
    fn a_plain_desk_moves_into_the_store_and_leaves_no_secret_in_the_clear() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        let plain = plain_desk(&dir);
        let p = Passphrase::from("the desk's passphrase");
        // Before: the commands refuse the plain folder and say what to do.
        let refused = err(Desk::unlock(&dir, &p));
        assert!(
            refused.contains("plain files") && refused.contains("desk init"),
            "{refused}"
        );

        let (desk, recipient) = ok(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(recipient.starts_with("age1"), "{recipient}");
        for name in PLAIN {
            assert!(!dir.join(name).exists(), "{name} is still there");
        }
        assert!(!dir.join("acks").exists());
        // What was in the plain files is in the store, and nowhere on disk
        // in the clear.
        let disk = all_bytes(&dir);
        let secret = plain
            .identity
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"));
        let secret = secret.unwrap_or_else(|| panic!("no identity line"));
        for (what, needle) in [
            ("OMCT's identity", secret.as_bytes().to_vec()),
            ("the root key", plain.root.secret_for_sealing().to_vec()),
            ("the desk token", plain.token.as_bytes().to_vec()),
            ("the device's label", b"partner in the field".to_vec()),
        ] {
            assert!(!contains(&disk, &needle), "{what} is on disk in the clear");
        }
        assert_eq!(ok(desk.root_key()).public(), plain.root.public());
        assert_eq!(ok(desk.identities())[0].recipient().to_string(), recipient);
        assert_eq!(ok(desk.config()).desk_token, plain.token);
        let rows = ok(desk.devices());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key_id, plain.device);
        assert_eq!(rows[0].label, "partner in the field");
        assert_eq!(rows[0].last_sequence, Some(1));
        assert_eq!(
            ok(desk.names(ACK_QUEUE)),
            vec![format!("{ACK_QUEUE}{}", plain.ack_id)]
        );

        // One command at a time holds the desk.
        let busy = err(Desk::unlock(&dir, &p));
        assert!(busy.contains("in another"), "{busy}");
        drop(desk);
        let wrong = err(Desk::unlock(&dir, &Passphrase::from("a guess")));
        assert_eq!(wrong, "wrong passphrase for this desk");
        let again = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(again.contains("already a desk"), "{again}");
        ok(Desk::unlock(&dir, &p));
    }

    /// A migration cut short after the store took everything (or a crash
    /// of the old desk's writes) leaves plain files; the next unlock
    /// removes them.
    #[test]
    fn plain_files_left_beside_a_finished_store_are_removed_at_unlock() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        let plain = plain_desk(&dir);
        let p = Passphrase::from("the desk's passphrase");
        drop(ok(block(Desk::create(&dir, &p, KdfChoice::Minimum, None))));
        let root = plain.root.secret_for_sealing().to_vec();
        ok(std::fs::write(dir.join("root.key"), &root));
        ok(std::fs::write(
            dir.join("omct.key.tmp"),
            plain.identity.as_bytes(),
        ));
        ok(std::fs::create_dir_all(dir.join("acks")));
        let desk = ok(Desk::unlock(&dir, &p));
        for name in ["root.key", "omct.key.tmp", "acks"] {
            assert!(!dir.join(name).exists(), "{name} was left");
        }
        assert!(!contains(&all_bytes(&dir), &root));
        drop(desk);
        // And `desk init` run again on it does the same, changing nothing
        // else.
        ok(std::fs::write(dir.join("desk.json.tmp"), b"{}"));
        let again = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(again.contains("already a desk"), "{again}");
        assert!(!dir.join("desk.json.tmp").exists());
    }

    /// `desk init` never deletes a `store` it did not make; it removes only
    /// its own staging folders, which no desk can have used.
    #[test]
    fn a_foreign_store_folder_is_kept_and_staging_leftovers_go() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        plain_desk(&dir);
        ok(std::fs::create_dir_all(dir.join("store")));
        ok(std::fs::write(
            dir.join("store/notes.txt"),
            b"someone's notes",
        ));
        let staging = format!("{STAGING}{}", "0a".repeat(16));
        ok(std::fs::create_dir_all(dir.join(&staging)));
        ok(std::fs::write(dir.join(&staging).join("db"), b"half made"));
        // Named like one, but not one of ours: kept.
        ok(std::fs::create_dir_all(dir.join("store.new-old")));
        let p = Passphrase::from("the desk's passphrase");
        let e = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(e.contains("not a desk's store"), "{e}");
        assert_eq!(
            ok(std::fs::read(dir.join("store/notes.txt"))),
            b"someone's notes"
        );
        assert!(!dir.join(&staging).exists());
        assert!(dir.join("store.new-old").exists());
        for name in PLAIN {
            assert!(dir.join(name).exists(), "{name} was removed");
        }
    }

    /// Files copied beside a finished store that are not what it took in
    /// (another desk's keys) are never removed, and `desk init` says so.
    #[test]
    fn another_desks_plain_files_beside_a_store_are_kept() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        plain_desk(&dir);
        let p = Passphrase::from("the desk's passphrase");
        drop(ok(block(Desk::create(&dir, &p, KdfChoice::Minimum, None))));
        let other = tmp.path().join("other");
        let theirs = plain_desk(&other);
        for name in ["omct.key", "root.key"] {
            ok(std::fs::copy(other.join(name), dir.join(name)));
        }
        drop(ok(Desk::unlock(&dir, &p)));
        let e = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(
            e.contains("omct.key, root.key") && e.contains("left as"),
            "{e}"
        );
        assert_eq!(
            ok(std::fs::read(dir.join("root.key"))),
            theirs.root.secret_for_sealing().to_vec()
        );
    }

    /// The folder's lock, not only the store's: a second command waits its
    /// turn even before any store exists.
    #[test]
    fn the_desk_folders_lock_keeps_a_second_command_out() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        plain_desk(&dir);
        let held = ok(lock(&dir));
        let p = Passphrase::from("the desk's passphrase");
        let e = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(e.contains("in another"), "{e}");
        assert!(!dir.join("store").exists());
        for name in PLAIN {
            assert!(dir.join(name).exists(), "{name} was removed");
        }
        drop(held);
        drop(ok(block(Desk::create(&dir, &p, KdfChoice::Minimum, None))));
    }

    #[test]
    fn a_new_desk_needs_its_server_and_makes_nothing_without_it() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        let p = Passphrase::from("the desk's passphrase");
        let e = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(e.contains("--server"), "{e}");
        assert!(!dir.exists());
        let e = err(Desk::unlock(&dir, &p));
        assert!(e.contains("not a desk folder"), "{e}");
    }

    #[test]
    fn a_damaged_plain_desk_is_refused_and_kept() {
        let tmp = ok(tempfile::tempdir());
        let dir = tmp.path().join("desk");
        plain_desk(&dir);
        ok(std::fs::write(dir.join("root.key"), b"short"));
        let p = Passphrase::from("the desk's passphrase");
        let e = err(block(Desk::create(&dir, &p, KdfChoice::Minimum, None)));
        assert!(e.contains("root.key is damaged"), "{e}");
        for name in PLAIN {
            assert!(dir.join(name).exists(), "{name} was removed");
        }
    }
}
