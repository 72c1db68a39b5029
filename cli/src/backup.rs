//! `temoin backup` and `temoin restore`: wiring over
//! `temoin_vault::backup`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use serde_json::json;
use temoin_bundle::{PayloadIdentity, PayloadRecipient};
use temoin_vault::backup::{self, RecoveryKey, RecoveryOpener};
use temoin_vault::{OpenError, Passphrase, Vault};

use crate::passphrase;

/// The recovery passphrase: from a file, or asked at the terminal (twice
/// for a new backup).
fn recovery_passphrase(file: Option<&Path>, new: bool) -> Result<Passphrase> {
    match file {
        Some(f) => passphrase::from_file(f),
        None if new => passphrase::prompt_new("Recovery passphrase for the backup: "),
        None => passphrase::prompt("Recovery passphrase of the backup: "),
    }
}

pub fn backup(
    vault: &Vault,
    out: &Path,
    recipient: Option<&str>,
    recovery_file: Option<&Path>,
    json_out: bool,
) -> Result<()> {
    let list = match recipient {
        Some(r) => {
            let r: PayloadRecipient = r
                .parse()
                .map_err(|_| anyhow!("the recipient must be an age public key (age1...)"))?;
            vault.backup_to_file(out, RecoveryKey::Recipient(&r))?
        }
        None => {
            let p = recovery_passphrase(recovery_file, true)?;
            vault.backup_to_file(out, RecoveryKey::Passphrase(&p))?
        }
    };
    if json_out {
        crate::print_json(
            &json!({ "files": list.files.len(), "bytes": list.bytes(), "out": out }),
        )?;
    } else {
        println!(
            "Backed up {} files ({} bytes) to {}. It opens with the recovery {} and then the \
             vault's own passphrase.",
            list.files.len(),
            list.bytes(),
            out.display(),
            if recipient.is_some() {
                "key"
            } else {
                "passphrase"
            }
        );
    }
    Ok(())
}

pub fn restore(
    file: &Path,
    dir: &Path,
    identity: Option<&Path>,
    recovery_file: Option<&Path>,
    vault_passphrase: impl FnOnce() -> Result<Passphrase>,
    json_out: bool,
) -> Result<ExitCode> {
    let restored = match identity {
        Some(id) => {
            let text = std::fs::read_to_string(id)
                .with_context(|| format!("cannot read {}", id.display()))?;
            let ids = PayloadIdentity::from_identity_file(&text)
                .map_err(|_| anyhow!("{} is not an age identity file", id.display()))?;
            backup::restore_file(file, RecoveryOpener::Identities(&ids), dir)
        }
        None => {
            let p = recovery_passphrase(recovery_file, false)?;
            backup::restore_file(file, RecoveryOpener::Passphrase(&p), dir)
        }
    };
    let list = match restored {
        Ok(l) => l,
        Err(OpenError::WrongPassphrase) => {
            return Err(anyhow!(
                "the recovery passphrase or key does not open this backup"
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let vault = Vault::unlock(dir, &vault_passphrase()?)?;
    let report = vault.verify()?;
    if json_out {
        crate::print_json(&json!({
            "files": list.files.len(),
            "bytes": list.bytes(),
            "ok": report.is_ok(),
            "items": report.items,
            "payloads": report.payloads,
            "custody_entries": report.custody_entries,
            "problems": report.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        }))?;
    } else {
        println!(
            "Restored {} files into {}; the vault opens with its passphrase.",
            list.files.len(),
            dir.display()
        );
        println!(
            "Checked {} items, {} evidence files, {} custody entries: {}",
            report.items,
            report.payloads,
            report.custody_entries,
            if report.is_ok() {
                "everything verifies."
            } else {
                "PROBLEMS (see `temoin verify`)."
            }
        );
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::cli::EXIT_DAMAGED)
    })
}
