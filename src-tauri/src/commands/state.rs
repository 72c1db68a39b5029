//! The app's state, language, face, and the vault's life: create,
//! unlock, lock, idle lock.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};
use temoin_crypto::Passphrase;
use temoin_vault::{KdfChoice, Vault};

use crate::error::{AppError, ErrorCode};

use super::*;
use crate::session::{blocking, Shared};

#[derive(Clone, Debug, Serialize, Type)]
pub struct DemoInfo {
    pub server: String,
    pub note: String,
}

/// What this computer may write of memory to disk (keys, open records), for
/// the first-run screen to tell the person in plain words.
#[derive(Clone, Debug, Serialize, Type)]
pub struct MemoryNotice {
    /// A swap area is neither encrypted nor in memory.
    pub unencrypted_swap: bool,
    /// Whether a swap area is encrypted could not be told.
    pub unknown_swap: bool,
    /// Hibernation is set up: it writes all of memory to disk.
    pub hibernation: bool,
    /// Keys are held in locked memory, out of swap.
    pub keys_locked: bool,
}

impl MemoryNotice {
    pub fn of_this_computer() -> MemoryNotice {
        let r = temoin_vault::memory_risks();
        MemoryNotice {
            unencrypted_swap: !r.unencrypted_swap.is_empty(),
            unknown_swap: !r.unknown_swap.is_empty(),
            hibernation: r.hibernation,
            keys_locked: temoin_vault::can_lock_keys(),
        }
    }
}

/// What unlock found wrong with the open vault, for the interface to say
/// (the details are `temoin verify`'s).
#[derive(Clone, Debug, Serialize, Type)]
pub struct DamageNotice {
    /// Items held back because they cannot be read or are not current.
    pub damaged: u32,
    /// Things found put back from an older copy, or removed, outside
    /// Témoin (items, settings, the bundle counter).
    pub rolled_back: u32,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct AppState {
    pub version: String,
    pub vault_exists: bool,
    pub unlocked: bool,
    pub language: String,
    pub auto_lock_minutes: u32,
    pub demo: Option<DemoInfo>,
    /// The neutral face is on: show the plain name, not Témoin's.
    pub neutral: bool,
    /// What this computer may write of memory to disk.
    pub memory: MemoryNotice,
    /// What unlock found wrong with the open vault.
    pub damage: DamageNotice,
    /// What this installation is for (`null` until chosen at first run).
    pub mode: Option<crate::session::AppMode>,
    /// A desk was made in this installation's desk folder.
    pub desk_exists: bool,
    /// The desk is open.
    pub desk_unlocked: bool,
}

#[tauri::command]
#[specta::specta]
pub async fn app_state(session: State<'_, Shared>) -> Result<AppState, AppError> {
    blocking(&session, |s| {
        Ok(AppState {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            vault_exists: s.vault_dir().join("keyslots.json").exists(),
            unlocked: s.is_unlocked(),
            language: s.settings().language,
            neutral: s.settings().neutral,
            mode: s.settings().mode,
            desk_exists: s.desk_exists(),
            desk_unlocked: s.desk_open(),
            auto_lock_minutes: s.auto_lock_minutes(),
            memory: MemoryNotice::of_this_computer(),
            damage: {
                let (damaged, rolled_back) = s.damage();
                DamageNotice {
                    damaged: damaged.try_into().unwrap_or(u32::MAX),
                    rolled_back: rolled_back.try_into().unwrap_or(u32::MAX),
                }
            },
            demo: s.demo.as_ref().map(|d| DemoInfo {
                server: d.server.clone(),
                note: "A demonstration intake server on this computer, started by `make run`. \
                       Nothing sent to it reaches OMCT."
                    .into(),
            }),
        })
    })
    .await
}

const LANGUAGES: [&str; 4] = ["en", "fr", "es", "ar"];

#[tauri::command]
#[specta::specta]
pub async fn set_language(
    app: AppHandle,
    session: State<'_, Shared>,
    language: String,
) -> Result<(), AppError> {
    if !LANGUAGES.contains(&language.as_str()) {
        return Err(AppError::invalid("unknown language"));
    }
    let chosen = language.clone();
    blocking(&session, move |s| s.set_language(&chosen)).await?;
    // The neutral window title and launcher entry follow the language.
    let settings = session.settings();
    if settings.neutral {
        crate::face::apply(&app, true, session.home(), &language);
    }
    Ok(())
}

/// Turns the neutral face on or off (window title and icon at once, the
/// launcher entry from the next start of the desktop's menu).
#[tauri::command]
#[specta::specta]
pub async fn set_neutral(
    app: AppHandle,
    session: State<'_, Shared>,
    on: bool,
) -> Result<(), AppError> {
    let home = session.home().to_owned();
    blocking(&session, move |s| s.set_neutral(on)).await?;
    crate::face::apply(&app, on, &home, &session.settings().language);
    Ok(())
}

/// The person copied text from the app: it is cleared from the clipboard
/// after a short time, at lock and when the window closes.
#[tauri::command]
#[specta::specta]
pub async fn clipboard_copied(app: AppHandle) -> Result<(), AppError> {
    crate::clipboard::copied(app).await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_create(
    app: AppHandle,
    session: State<'_, Shared>,
    passphrase: String,
) -> Result<(), AppError> {
    // Judged before it is wrapped, so its text is read only here.
    let score = strength_of(&passphrase).score;
    let passphrase = Passphrase::new(passphrase);
    blocking(&session, move |s| {
        if passphrase.is_empty() {
            return Err(AppError::new(
                ErrorCode::EmptyPassphrase,
                "the passphrase must not be empty",
            ));
        }
        if score < MIN_SCORE {
            return Err(AppError::new(
                ErrorCode::WeakPassphrase,
                "this passphrase would be guessed too easily",
            ));
        }
        let dir = s.new_vault_dir()?;
        let vault = Vault::create(&dir, &passphrase, KdfChoice::Calibrated)?;
        s.open(vault);
        Ok(())
    })
    .await?;
    crate::background::after_unlock(&app);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_unlock(
    app: AppHandle,
    session: State<'_, Shared>,
    passphrase: String,
) -> Result<(), AppError> {
    let passphrase = Passphrase::new(passphrase);
    blocking(&session, move |s| {
        s.field_mode()?;
        let vault = Vault::unlock(&s.vault_dir(), &passphrase)?;
        s.open(vault);
        Ok(())
    })
    .await?;
    crate::background::after_unlock(&app);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_lock(app: AppHandle, session: State<'_, Shared>) -> Result<(), AppError> {
    blocking(&session, |s| {
        s.lock();
        Ok(())
    })
    .await?;
    crate::events::locked(&app, "user");
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn touch(session: State<'_, Shared>) -> Result<(), AppError> {
    session.touch();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn set_auto_lock(session: State<'_, Shared>, minutes: u32) -> Result<(), AppError> {
    if minutes > 24 * 60 {
        return Err(AppError::invalid("at most 1440 minutes (a day)"));
    }
    blocking(&session, move |s| s.set_auto_lock(minutes)).await
}

/// Answers at once: the benchmark's measure of whether the app stays
/// responsive while long work runs.
#[tauri::command]
#[specta::specta]
pub fn ping() -> u32 {
    1
}
