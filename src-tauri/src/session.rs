//! The open vault, shared by the commands, the import jobs, the outbox
//! loop and the idle timer.
//!
//! The vault sits behind a read-write lock: reading commands and the
//! staging of an import (which encrypts a file into the vault's staging
//! folder and only needs `&Vault`) share it, writes take it alone for the
//! moment they commit. Every lock and unlock advances a generation number;
//! work started under an older generation stops at its next step, so
//! locking never waits for an upload and an import stops within one read.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::State;
use temoin_proto::code::EnrollmentCode;
use temoin_sync::client;
use temoin_sync::outbox::{self, OutboxError, VaultAccess};
use temoin_vault::Vault;

use crate::error::{AppError, ErrorCode};

/// The session as the commands hold it.
pub type Shared = Arc<Session>;

/// Runs `f` on the blocking pool, so the window never waits on crypto or
/// the disk.
pub(crate) async fn blocking<T: Send + 'static>(
    session: &State<'_, Shared>,
    f: impl FnOnce(&Session) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let s = Arc::clone(session.inner());
    tauri::async_runtime::spawn_blocking(move || f(&s))
        .await
        .map_err(|_| AppError::new(ErrorCode::Internal, "a background task failed"))?
}

/// Minutes of inactivity before the vault locks itself, unless the person
/// chose otherwise.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;
/// The vault state key of the auto-lock setting (sealed in the vault).
const AUTO_LOCK_KEY: &str = "app/auto-lock-minutes";

/// Settings readable before unlock. Only what the lock screen needs: no
/// vault content, nothing about cases.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub language: String,
    /// The neutral face: a plain window title, icon and launcher entry.
    #[serde(default)]
    pub neutral: bool,
    /// What this installation is for, chosen at first run: documenting
    /// cases, or OMCT's desk receiving them. Kept beside the language,
    /// readable before unlock, because the first screen depends on it.
    #[serde(default)]
    pub mode: Option<AppMode>,
}

/// The two faces of the one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AppMode {
    /// "I document cases": the defender's vault.
    Field,
    /// "I receive cases at OMCT's desk": the desk's store.
    Desk,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "en".into(),
            neutral: false,
            mode: None,
        }
    }
}

/// A demo intake server the app was started with (`make run`).
#[derive(Clone, Debug)]
pub struct Demo {
    pub server: String,
    pub code: String,
}

#[derive(Debug)]
pub struct Session {
    home: PathBuf,
    vault: RwLock<Option<Vault>>,
    generation: AtomicU64,
    last_active: Mutex<Instant>,
    auto_lock_minutes: AtomicU32,
    settings: Mutex<Settings>,
    pub demo: Option<Demo>,
    /// The desk folder (desk mode): `TEMOIN_DESK_DIR`, else `home/desk`.
    desk_dir: PathBuf,
    /// The open desk. Each command clones the handle and works on it; lock
    /// drops this one, so the desk's keys go with the last command still
    /// holding it (a pull waiting on the network) and no later command
    /// can reach it.
    desk: Mutex<Option<DeskHandle>>,
}

/// The open desk, as commands share it.
pub type DeskHandle = Arc<tokio::sync::Mutex<temoin_desk::Desk>>;

impl Session {
    /// Enrolls the open vault's device with the enrollment code OMCT gave:
    /// the code and proxy checked as the command line checks them (a
    /// mistyped code is refused before any connection), the network call
    /// made without holding the vault, OMCT's key checked against the code,
    /// the enrollment then saved.
    pub async fn enroll(&self, code: &str, proxy: Option<&str>) -> Result<(), AppError> {
        let code = EnrollmentCode::parse(code).map_err(|e| AppError::invalid(e.to_string()))?;
        client::check_proxy(proxy)?;
        self.read(|v| Ok(outbox::check_code_for(v, &code)?))?;
        let key = self.read(|v| Ok(v.device_public_key().to_minisign_base64()))?;
        let recipient = self.write(|v| Ok(outbox::device_recipient(v)?))?;
        let e = client::enroll_with_code(&code, &key, &recipient, proxy).await?;
        self.write(|v| Ok(outbox::save_new_enrollment(v, &e)?))
    }

    /// A session whose vault lives in `home/vault` and settings in
    /// `home/settings.json`.
    pub fn new(home: PathBuf, demo: Option<Demo>) -> Session {
        let settings = std::fs::read(home.join("settings.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let desk_dir = std::env::var_os("TEMOIN_DESK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join("desk"));
        Session {
            desk_dir,
            desk: Mutex::new(None),
            home,
            vault: RwLock::new(None),
            generation: AtomicU64::new(0),
            last_active: Mutex::new(Instant::now()),
            auto_lock_minutes: AtomicU32::new(DEFAULT_AUTO_LOCK_MINUTES),
            settings: Mutex::new(settings),
            demo,
        }
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.home.join("vault")
    }

    /// The vault folder for a vault about to be made here (created or
    /// restored): refused if one exists; the home folder is made.
    pub fn new_vault_dir(&self) -> Result<PathBuf, AppError> {
        self.field_mode()?;
        let dir = self.vault_dir();
        if dir.join("keyslots.json").exists() {
            return Err(AppError::new(
                crate::error::ErrorCode::VaultExists,
                "a vault already exists on this computer",
            ));
        }
        std::fs::create_dir_all(&self.home).map_err(|e| {
            AppError::new(
                crate::error::ErrorCode::Io,
                format!("cannot create the folder: {e}"),
            )
        })?;
        Ok(dir)
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_language(&self, language: &str) -> Result<(), AppError> {
        self.change_settings(|s| s.language = language.to_owned())
    }

    pub fn set_neutral(&self, on: bool) -> Result<(), AppError> {
        self.change_settings(|s| s.neutral = on)
    }

    fn change_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), AppError> {
        let mut s = self
            .settings
            .lock()
            .map_err(|_| AppError::new(crate::error::ErrorCode::Internal, "settings lock"))?;
        change(&mut s);
        std::fs::create_dir_all(&self.home)
            .and_then(|()| {
                std::fs::write(
                    self.home.join("settings.json"),
                    serde_json::to_vec(&*s).unwrap_or_default(),
                )
            })
            .map_err(|e| {
                AppError::new(
                    crate::error::ErrorCode::Io,
                    format!("could not save the settings: {e}"),
                )
            })
    }

    pub fn touch(&self) {
        if let Ok(mut t) = self.last_active.lock() {
            *t = Instant::now();
        }
    }

    pub fn idle_seconds(&self) -> u64 {
        self.last_active
            .lock()
            .map(|t| t.elapsed().as_secs())
            .unwrap_or(0)
    }

    pub fn auto_lock_minutes(&self) -> u32 {
        self.auto_lock_minutes.load(Ordering::SeqCst)
    }

    pub fn is_unlocked(&self) -> bool {
        self.vault.read().map(|v| v.is_some()).unwrap_or(false)
    }

    /// Whether the vault or the desk is open (what the idle lock watches).
    pub fn anything_open(&self) -> bool {
        self.is_unlocked() || self.desk_open()
    }

    /// Refuses the defender's vault in an installation that is OMCT's
    /// desk: one installation, one kind of store.
    pub fn field_mode(&self) -> Result<(), AppError> {
        if self.settings().mode == Some(AppMode::Desk) {
            return Err(AppError::invalid(
                "this installation is OMCT's desk; a vault is kept in another installation",
            ));
        }
        Ok(())
    }

    pub fn set_mode(&self, mode: AppMode) -> Result<(), AppError> {
        self.change_settings(|s| s.mode = Some(mode))
    }

    /// The desk folder of this installation.
    pub fn desk_dir(&self) -> &Path {
        &self.desk_dir
    }

    /// Whether a desk was made in the desk folder.
    pub fn desk_exists(&self) -> bool {
        self.desk_dir.join("store").exists()
    }

    fn desk_slot(&self) -> std::sync::MutexGuard<'_, Option<DeskHandle>> {
        self.desk.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn desk_open(&self) -> bool {
        self.desk_slot().is_some()
    }

    /// Makes `desk` the open desk.
    pub fn open_desk(&self, desk: temoin_desk::Desk) {
        *self.desk_slot() = Some(Arc::new(tokio::sync::Mutex::new(desk)));
        self.touch();
    }

    /// The open desk, or `Locked`.
    pub fn desk(&self) -> Result<DeskHandle, AppError> {
        self.desk_slot()
            .clone()
            .ok_or_else(|| AppError::new(crate::error::ErrorCode::Locked, "the desk is locked"))
    }

    /// How many items the open vault holds back as damaged, and how many
    /// things unlock found put back from an older copy (0, 0 when locked).
    pub fn damage(&self) -> (usize, usize) {
        self.vault
            .read()
            .ok()
            .and_then(|v| {
                v.as_ref()
                    .map(|v| (v.damaged().len(), v.rolled_back().len()))
            })
            .unwrap_or((0, 0))
    }

    /// Makes `vault` the open vault and reads its app settings.
    pub fn open(&self, vault: Vault) {
        let minutes = vault
            .get_state(AUTO_LOCK_KEY)
            .ok()
            .flatten()
            .and_then(|b| std::str::from_utf8(&b).ok()?.trim().parse().ok())
            .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES);
        self.auto_lock_minutes.store(minutes, Ordering::SeqCst);
        let mut slot = self.write_slot();
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(old) = slot.replace(vault) {
            old.lock();
        }
        drop(slot);
        self.touch();
    }

    /// Locks: stops work of this generation, then closes the vault (which
    /// zeroizes its keys). Returns whether a vault was open.
    pub fn lock(&self) -> bool {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let desk = self.desk_slot().take().is_some();
        let vault = self.write_slot().take();
        match vault {
            Some(v) => {
                v.lock();
                true
            }
            None => desk,
        }
    }

    pub fn set_auto_lock(&self, minutes: u32) -> Result<(), AppError> {
        self.write(|v| {
            v.put_state(AUTO_LOCK_KEY, minutes.to_string().as_bytes())?;
            Ok(())
        })?;
        self.auto_lock_minutes.store(minutes, Ordering::SeqCst);
        Ok(())
    }

    fn write_slot(&self) -> RwLockWriteGuard<'_, Option<Vault>> {
        // A panic while holding the lock leaves the vault as it was (every
        // vault write is atomic), so a poisoned lock is still usable.
        self.vault.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read_slot(&self) -> RwLockReadGuard<'_, Option<Vault>> {
        self.vault.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the open vault, shared with other readers.
    pub fn read<T>(&self, f: impl FnOnce(&Vault) -> Result<T, AppError>) -> Result<T, AppError> {
        let guard = self.read_slot();
        match guard.as_ref() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }

    /// Runs `f` with the open vault alone.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut guard = self.write_slot();
        match guard.as_mut() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }
}

/// The outbox's view of the session: valid for one generation only, so an
/// upload running when the person locks cannot write into a vault opened
/// later.
#[derive(Debug)]
pub struct Access<'a> {
    pub session: &'a Session,
    pub generation: u64,
}

impl VaultAccess for Access<'_> {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        let mut guard = self.session.write_slot();
        if self.session.generation() != self.generation {
            return Err(OutboxError::Locked);
        }
        match guard.as_mut() {
            Some(v) => f(v),
            None => Err(OutboxError::Locked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_installation_makes_no_vault() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = Session::new(home.path().to_owned(), None);
        assert!(s.new_vault_dir().is_ok());
        s.set_mode(AppMode::Desk).unwrap_or_else(|e| panic!("{e}"));
        let err = s.new_vault_dir().err().map(|e| e.message);
        assert!(
            err.as_deref().is_some_and(|m| m.contains("OMCT's desk")),
            "{err:?}"
        );
    }
}
