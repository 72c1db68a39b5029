//! The protections against seizure and coercion: the passphrase, the
//! duress passphrase, the attempt limit, deliver and forget, the wipe.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde_json::json;

use crate::cli::*;
use crate::{parse_id, passphrase, print_json, unlock, vault_dir};
use temoin_vault::Vault;

pub fn passwd(cli: &Cli, new_passphrase_file: Option<&Path>, kdf: KdfCost) -> Result<()> {
    let old = passphrase(cli, "Current passphrase: ")?;
    let mut vault = Vault::unlock(vault_dir(cli)?, &old)?;
    let new = match new_passphrase_file {
        Some(f) => passphrase::from_file(f)?,
        None => passphrase::prompt_new("New passphrase: ")?,
    };
    passphrase::advise(&new);
    vault.change_passphrase(&old, &new, kdf.into())?;
    if cli.json {
        print_json(&json!({ "changed": true }))?;
    } else {
        println!("Passphrase changed.");
    }
    Ok(())
}

pub fn duress(
    cli: &Cli,
    outcome: Option<DuressArg>,
    duress_passphrase_file: Option<&Path>,
    remove: bool,
) -> Result<()> {
    let dir = vault_dir(cli)?;
    let current = passphrase(cli, "Passphrase: ")?;
    let mut vault = Vault::unlock(dir, &current)?;
    let Some(outcome) = outcome.filter(|_| !remove) else {
        vault.remove_duress(&current)?;
        if !cli.json {
            println!("Duress passphrase removed; the spare vault was destroyed.");
        }
        return Ok(());
    };
    let duress = match duress_passphrase_file {
        Some(f) => passphrase::from_file(f)?,
        None => passphrase::prompt_new("Duress passphrase: ")?,
    };
    let outcome = match outcome {
        DuressArg::Decoy => temoin_vault::duress::DuressOutcome::Decoy,
        DuressArg::Shred => temoin_vault::duress::DuressOutcome::Shred,
    };
    vault.set_duress(&current, &duress, outcome)?;
    if !cli.json {
        println!(
            "Duress passphrase set. Unlock with it now to fill the spare vault with \
             harmless content."
        );
    }
    Ok(())
}

pub fn attempt_limit(cli: &Cli, limit: &str) -> Result<()> {
    let limit = match limit {
        "off" => None,
        n => Some(
            n.parse::<u32>()
                .map_err(|_| anyhow!("the limit must be a number of attempts, or `off`"))?,
        ),
    };
    let mut vault = unlock(cli)?;
    vault.set_attempt_limit(limit)?;
    if !cli.json {
        match limit {
            Some(n) => {
                println!("The vault wipes itself after {n} wrong passphrases in a row.")
            }
            None => println!("No limit on wrong passphrases."),
        }
    }
    Ok(())
}

pub fn forget(cli: &Cli, case_id: &str) -> Result<()> {
    let case = parse_id(case_id)?;
    let mut vault = unlock(cli)?;
    let r = vault.forget_delivered(case)?;
    if cli.json {
        print_json(&json!({
            "bundle_id": r.bundle_id, "items": r.items, "people": r.people,
        }))?;
    } else {
        println!(
            "Forgotten: {} items of the case and {} people only it named. OMCT's receipt \
             for bundle {} stays in the custody log.",
            r.items, r.people, r.bundle_id
        );
    }
    Ok(())
}

pub fn forget_after_delivery(cli: &Cli, policy: &str) -> Result<()> {
    let mut vault = unlock(cli)?;
    vault.set_forget_after_delivery(policy == "on")?;
    if !cli.json {
        println!("Forget after delivery: {policy}.");
    }
    Ok(())
}

pub fn wipe(cli: &Cli, yes: bool) -> Result<()> {
    let dir = vault_dir(cli)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("refusing to wipe without confirmation: add --yes");
        }
        eprint!(
            "This destroys the vault in {} for good. Type WIPE to go on: ",
            dir.display()
        );
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if line.trim() != "WIPE" {
            bail!("not wiped");
        }
    }
    let report = temoin_vault::wipe::wipe(dir)?;
    if cli.json {
        print_json(&json!({
            "slot_files_destroyed": report.slot_files,
            "folder_removed": report.folder_removed,
        }))?;
    } else if report.folder_removed {
        println!("Wiped: the key slots were destroyed and the vault removed.");
    } else {
        println!(
            "Wiped: the key slots were destroyed and the vault's files removed; the \
             folder stays because it holds files that are not the vault's."
        );
    }
    Ok(())
}

/// `temoin doctor`: what this computer may write of memory to disk, in
/// plain words, with what to do.
pub fn doctor(json_out: bool) -> Result<()> {
    let r = temoin_vault::memory_risks();
    let locked = temoin_vault::can_lock_keys();
    if json_out {
        let mut v = json!(r);
        v["keys_locked_in_memory"] = json!(locked);
        return print_json(&v);
    }
    if locked {
        println!(
            "Keys: the vault key, item keys and passphrases are held in locked memory, which the \
             computer does not move to swap (the evidence key and the signing key are not). Good."
        );
    } else {
        println!(
            "Keys: this computer refused to lock them in memory (its limit on locked memory, \
             `ulimit -l`, is reached or zero), so they could be written to swap. The advice on \
             swap below matters all the more."
        );
    }
    if r.unencrypted_swap.is_empty() && r.unknown_swap.is_empty() {
        if r.safe_swap.is_empty() {
            println!("Swap: none. Good: memory is not written to disk to make room.");
        } else {
            println!(
                "Swap: encrypted or in memory ({}). Good.",
                r.safe_swap.join(", ")
            );
        }
    }
    if !r.unencrypted_swap.is_empty() {
        println!(
            "Swap: NOT ENCRYPTED ({}). When memory runs short, the computer writes parts of it \
             there, and Témoin's keys and open records can stay on the disk after it is off, \
             where a seized disk gives them up. Encrypt the swap (an encrypted system install, or \
             cryptsetup with a random key at each start), or turn it off (swapoff -a, and remove \
             it from /etc/fstab).",
            r.unencrypted_swap.join(", ")
        );
    }
    if !r.unknown_swap.is_empty() {
        println!(
            "Swap: could not tell whether {} is encrypted. If it is not, treat it as above.",
            r.unknown_swap.join(", ")
        );
    }
    if r.hibernation {
        println!(
            "Hibernation: SET UP. Hibernating writes all of memory to disk, Témoin's keys \
             included. Lock or close Témoin before the computer sleeps, turn hibernation off, or \
             make sure the disk it writes to is encrypted."
        );
    } else {
        println!("Hibernation: not set up. Good.");
    }
    Ok(())
}
