//! Seizure and coercion: panic wipe, the wrong-passphrase limit, the duress
//! passphrase, encrypted backup and restore. Wiring over
//! `temoin_vault::{wipe, duress, backup}`; what each protects against, and
//! what it does not, is in docs/threat-model.md and said in the interface.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;
use temoin_crypto::Passphrase;
use temoin_vault::backup::{self, RecoveryKey, RecoveryOpener};
use temoin_vault::duress::DuressOutcome;
use temoin_vault::{OpenError, Vault, WipeError};

use crate::error::{AppError, ErrorCode};
use crate::session::{blocking, Shared};

/// Destroys the vault now: the key slots first, before taking any lock
/// (an export, a submission or a backup holds the vault for its whole
/// length, and the wipe must not wait for it: it stops at its next write,
/// seeing the wipe begun); then the vault is locked, which waits for those
/// jobs to let go, and the rest of its files are removed. The interface
/// shows the first-run screen afterwards.
#[tauri::command]
#[specta::specta]
pub async fn panic_wipe(app: AppHandle, session: State<'_, Shared>) -> Result<(), AppError> {
    // `blocking` takes no lock: the session's vault is not touched here.
    blocking(&session, |s| {
        let first = temoin_vault::wipe::WipeStage::SlotsDestroyed;
        match temoin_vault::wipe::wipe_until(&s.vault_dir(), first) {
            Ok(_) | Err(WipeError::NotAVault(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    blocking(&session, |s| {
        s.lock();
        match temoin_vault::wipe::wipe(&s.vault_dir()) {
            Ok(_) | Err(WipeError::NotAVault(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    crate::events::locked(&app, "panic");
    Ok(())
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct SecuritySettings {
    /// Wrong passphrases in a row before the vault wipes itself.
    pub attempt_limit: Option<u32>,
    /// Cases are forgotten as soon as OMCT's receipt is recorded.
    pub forget_after_delivery: bool,
}

#[tauri::command]
#[specta::specta]
pub async fn security_settings(session: State<'_, Shared>) -> Result<SecuritySettings, AppError> {
    blocking(&session, |s| {
        s.read(|v| {
            Ok(SecuritySettings {
                attempt_limit: v.attempt_limit()?,
                forget_after_delivery: v.forget_after_delivery()?,
            })
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_attempt_limit(
    session: State<'_, Shared>,
    limit: Option<u32>,
) -> Result<(), AppError> {
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| Ok(v.set_attempt_limit(limit)?))
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_forget_after_delivery(
    session: State<'_, Shared>,
    on: bool,
) -> Result<(), AppError> {
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| Ok(v.set_forget_after_delivery(on)?))
    })
    .await
}

/// Removes the duress passphrase and destroys the spare store. `current`
/// is the vault's own passphrase.
#[tauri::command]
#[specta::specta]
pub async fn remove_duress(session: State<'_, Shared>, current: String) -> Result<(), AppError> {
    let current = Passphrase::new(current);
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            v.remove_duress(&current).map_err(|e| match e {
                OpenError::NotRecordable(why) => AppError::invalid(why),
                other => other.into(),
            })
        })
    })
    .await
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ForgetResult {
    pub bundle_id: String,
    pub items: u32,
    pub people: u32,
}

/// Forgets a delivered case (refused unless a receipt covers it as it is).
#[tauri::command]
#[specta::specta]
pub async fn case_forget(
    app: AppHandle,
    session: State<'_, Shared>,
    case_id: String,
) -> Result<ForgetResult, AppError> {
    let case: temoin_vault::ItemId = case_id
        .parse()
        .map_err(|_| AppError::invalid("the item id is not valid"))?;
    session.touch();
    let r = blocking(&session, move |s| {
        s.write(|v| {
            let r = v.forget_delivered(case)?;
            Ok(ForgetResult {
                bundle_id: r.bundle_id,
                items: r.items as u32,
                people: r.people as u32,
            })
        })
    })
    .await?;
    let _ = crate::events::OutboxChanged {}.emit(&app);
    Ok(r)
}

#[derive(Clone, Copy, Debug, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DuressChoice {
    Decoy,
    Shred,
}

/// Sets a duress passphrase. `current` is the vault's own passphrase,
/// asked again.
#[tauri::command]
#[specta::specta]
pub async fn set_duress(
    session: State<'_, Shared>,
    current: String,
    duress: String,
    outcome: DuressChoice,
) -> Result<(), AppError> {
    let current = Passphrase::new(current);
    let duress = Passphrase::new(duress);
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            let outcome = match outcome {
                DuressChoice::Decoy => DuressOutcome::Decoy,
                DuressChoice::Shred => DuressOutcome::Shred,
            };
            v.set_duress(&current, &duress, outcome)
                .map_err(|e| match e {
                    OpenError::NotRecordable(why) => AppError::invalid(why),
                    other => other.into(),
                })
        })
    })
    .await
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct BackupResult {
    pub path: String,
    pub files: u32,
    pub bytes: u64,
}

/// Writes an encrypted backup (to a recovery passphrase) into `folder`.
#[tauri::command]
#[specta::specta]
pub async fn backup_create(
    session: State<'_, Shared>,
    folder: String,
    recovery: String,
) -> Result<BackupResult, AppError> {
    let recovery = Passphrase::new(recovery);
    if recovery.is_empty() {
        return Err(AppError::new(
            ErrorCode::EmptyPassphrase,
            "the recovery passphrase must not be empty",
        ));
    }
    session.touch();
    blocking(&session, move |s| {
        let folder = PathBuf::from(folder);
        if !folder.is_dir() {
            return Err(AppError::invalid("the chosen folder does not exist"));
        }
        let date = time::OffsetDateTime::now_utc().date();
        let mut path = folder.join(format!("temoin-backup-{date}.age"));
        let mut n = 2;
        while path.exists() {
            path = folder.join(format!("temoin-backup-{date}-{n}.age"));
            n += 1;
        }
        let list = s.read(|v| Ok(v.backup_to_file(&path, RecoveryKey::Passphrase(&recovery))?))?;
        Ok(BackupResult {
            path: path.display().to_string(),
            files: list.files.len() as u32,
            bytes: list.bytes(),
        })
    })
    .await
}

/// Restores a backup as this computer's vault (only when there is none
/// yet), then unlocks it with the vault's passphrase.
#[tauri::command]
#[specta::specta]
pub async fn backup_restore(
    app: AppHandle,
    session: State<'_, Shared>,
    file: String,
    recovery: String,
    passphrase: String,
) -> Result<(), AppError> {
    let recovery = Passphrase::new(recovery);
    let passphrase = Passphrase::new(passphrase);
    blocking(&session, move |s| {
        let dir = s.new_vault_dir()?;
        backup::restore_file(&PathBuf::from(file), RecoveryOpener::Passphrase(&recovery), &dir)
            .map_err(|e| match e {
                OpenError::WrongPassphrase => AppError::new(
                    ErrorCode::WrongPassphrase,
                    "the recovery passphrase does not open this backup",
                ),
                other => other.into(),
            })?;
        let vault = Vault::unlock(&dir, &passphrase)?;
        let report = vault.verify()?;
        if !report.is_ok() {
            return Err(AppError::new(
                ErrorCode::Damaged,
                format!(
                    "the restored vault opens but {} problem(s) were found; it was kept for examination",
                    report.problems.len()
                ),
            ));
        }
        s.open(vault);
        Ok(())
    })
    .await?;
    crate::background::after_unlock(&app);
    Ok(())
}
