//! `temoin`: the vault from the command line, for people and for scripts.
//!
//! Every command takes `--vault DIR` and `--json`. Passphrases come from a
//! terminal prompt or from `--passphrase-file FILE`, never from arguments.
//! Errors go to standard error in plain words, with exit status 1; `verify`
//! exits with 3 when it finds damage; usage errors exit with 2.
//!
//! This binary holds wiring only: every operation is a call into
//! `temoin-vault`.

mod backup;
mod bundle;
mod case;
mod cli;
mod consent;
mod custody;
mod device;
mod dossier;
mod evidence;
mod handover;
mod passphrase;
mod record;
mod security;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use temoin_vault::{ItemId, Passphrase, Vault};

use crate::cli::{Cli, Command, TestimonyCommand};

fn main() -> ExitCode {
    // No core dumps, no ptrace: the process holds keys and passphrases.
    if let Err(e) = temoin_vault::harden_process() {
        eprintln!("temoin: could not disable core dumps for this process: {e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("temoin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn vault_dir(cli: &Cli) -> Result<&Path> {
    cli.vault
        .as_deref()
        .ok_or_else(|| anyhow!("no vault given: use --vault DIR"))
}

pub(crate) fn passphrase(cli: &Cli, label: &str) -> Result<Passphrase> {
    match &cli.passphrase_file {
        Some(f) => passphrase::from_file(f),
        None => passphrase::prompt(label),
    }
}

pub(crate) fn unlock(cli: &Cli) -> Result<Vault> {
    let dir = vault_dir(cli)?;
    let p = passphrase(cli, "Vault passphrase: ")?;
    let vault = Vault::unlock(dir, &p)?;
    for found in vault.rolled_back() {
        eprintln!("Warning: {found}.");
    }
    let damaged = vault.damaged();
    if !damaged.is_empty() {
        eprintln!(
            "Warning: {} item(s) are damaged and cannot be read; run `temoin verify` for details.",
            damaged.len()
        );
    }
    Ok(vault)
}

pub(crate) fn parse_id(s: &str) -> Result<ItemId> {
    s.parse::<ItemId>()
        .map_err(|e| anyhow!("{e}: `{}`", s.chars().take(40).collect::<String>()))
}

pub(crate) fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let cli = &cli;
    match &cli.command {
        Command::Init { kdf } => device::init(cli, *kdf)?,
        Command::Case(c) => case::run(cli, c)?,
        Command::Testimony(TestimonyCommand::Add {
            case_id,
            narrative_file,
            language,
        }) => case::add_testimony(cli, case_id, narrative_file, language.as_deref())?,
        Command::Evidence(e) => evidence::run(cli, e)?,
        Command::Search { query, query_file } => case::search(cli, query, query_file.as_deref())?,
        Command::Verify { file: None, .. } => return custody::verify(cli),
        Command::Verify {
            file: Some(file),
            identity,
            device_keys,
            out,
        } => {
            return bundle::verify(
                file,
                identity.as_deref(),
                device_keys,
                out.as_deref(),
                cli.json,
            )
        }
        Command::Export {
            case,
            recipients,
            purpose,
            out,
        } => {
            let mut vault = unlock(cli)?;
            bundle::export(
                &mut vault,
                parse_id(case)?,
                recipients,
                (*purpose).into(),
                out,
                cli.json,
            )?;
        }
        Command::Consent(c) => consent::run(cli, c)?,
        Command::Record(r) => record::run(cli, r)?,
        Command::Dossier {
            case,
            kind,
            language,
            annexes,
            out,
        } => dossier::run(cli, case, *kind, language, annexes.as_deref(), out)?,
        Command::Enroll {
            code,
            code_file,
            proxy,
        } => {
            // Read (and checked) before the vault is unlocked: a mistyped
            // code costs no passphrase.
            let code = handover::read_code(code.as_deref(), code_file.as_deref())?;
            let mut vault = unlock(cli)?;
            handover::enroll(&mut vault, &code, proxy.as_deref(), cli.json)?;
        }
        Command::Ack(cli::AckCommand::Import { file }) => {
            handover::import_ack(&mut unlock(cli)?, file, cli.json)?;
        }
        Command::Submit { case_id, stats } => match (case_id, stats) {
            (Some(case_id), false) => {
                let case = parse_id(case_id)?;
                handover::submit(&mut unlock(cli)?, case, cli.json)?;
            }
            (None, true) => handover::submit_figures(&mut unlock(cli)?, cli.json)?,
            _ => {
                anyhow::bail!("give either a case to submit, or --stats to send the figures alone")
            }
        },
        Command::Stats(args) => {
            let records = unlock(cli)?
                .stats_records()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            handover::write_stats(temoin_vault::stats::cells(&records), args, cli.json)?
        }
        Command::Messages { case } => handover::messages(&mut unlock(cli)?, *case, cli.json)?,
        Command::Answer {
            message_id,
            text_file,
        } => handover::answer(&mut unlock(cli)?, message_id, text_file, cli.json)?,
        Command::Outbox { retry } => {
            handover::show_outbox(&mut unlock(cli)?, retry.as_deref(), cli.json)?
        }
        Command::Sync {
            watch,
            force,
            interval,
        } => handover::sync(&mut unlock(cli)?, *watch, *force, *interval, cli.json)?,
        Command::Intake(c) => handover::intake(c, cli.json)?,
        Command::Desk(c) => return handover::desk_cmd(c, cli.json, cli.passphrase_file.as_deref()),
        Command::Custody { id } => custody::show(cli, id.as_deref())?,
        Command::Passwd {
            new_passphrase_file,
            kdf,
        } => security::passwd(cli, new_passphrase_file.as_deref(), *kdf)?,
        Command::Backup {
            out,
            recipient,
            recovery_passphrase_file,
        } => backup::backup(
            &unlock(cli)?,
            out,
            recipient.as_deref(),
            recovery_passphrase_file.as_deref(),
            cli.json,
        )?,
        Command::Restore {
            file,
            identity,
            recovery_passphrase_file,
        } => {
            return backup::restore(
                file,
                vault_dir(cli)?,
                identity.as_deref(),
                recovery_passphrase_file.as_deref(),
                || passphrase(cli, "Passphrase of the restored vault: "),
                cli.json,
            );
        }
        Command::Duress {
            outcome,
            duress_passphrase_file,
            remove,
        } => security::duress(cli, *outcome, duress_passphrase_file.as_deref(), *remove)?,
        Command::AttemptLimit { limit } => security::attempt_limit(cli, limit)?,
        Command::Forget { case_id } => security::forget(cli, case_id)?,
        Command::ForgetAfterDelivery { policy } => security::forget_after_delivery(cli, policy)?,
        Command::Wipe { yes } => security::wipe(cli, *yes)?,
        Command::Device => device::show(cli)?,
        Command::Doctor => security::doctor(cli.json)?,
        Command::ExportPayloadKey { out } => device::export_payload_key(cli, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn hex_digest(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn progress_bar(size: u64) -> Option<indicatif::ProgressBar> {
    if size < 16 * 1024 * 1024 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Reads a UTF-8 text file of bounded size.
pub(crate) fn read_text_file(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let limit = temoin_vault::record::limits::LONG as u64;
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > limit {
        bail!(
            "{} is too large for a narrative (at most {} MiB); add it as evidence instead",
            path.display(),
            limit / (1024 * 1024)
        );
    }
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))?;
    Ok(zeroize::Zeroizing::new(text.to_owned()))
}
