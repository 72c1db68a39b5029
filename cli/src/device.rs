//! The vault and this device: making a vault, the device's public key, and
//! the payload key for a disaster.

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::cli::*;
use crate::{passphrase, print_json, unlock, vault_dir};
use temoin_vault::Vault;

pub fn init(cli: &Cli, kdf: KdfCost) -> Result<()> {
    let dir = vault_dir(cli)?;
    let p = match &cli.passphrase_file {
        Some(f) => passphrase::from_file(f)?,
        None => {
            eprintln!(
                "Choose a passphrase. It protects everything in the vault; if it is lost, \
                 nobody (not even OMCT) can recover the vault."
            );
            passphrase::prompt_new("New vault passphrase: ")?
        }
    };
    passphrase::advise(&p);
    if !cli.json {
        eprintln!("Creating the vault...");
    }
    let vault = Vault::create(dir, &p, kdf.into())?;
    let pk = vault.device_public_key();
    if cli.json {
        print_json(&json!({ "vault": dir, "device_key_id": pk.id_hex() }))?;
    } else {
        println!("Vault created in {}.", dir.display());
    }
    Ok(())
}

pub fn show(cli: &Cli) -> Result<()> {
    let vault = unlock(cli)?;
    let pk = vault.device_public_key();
    if cli.json {
        print_json(&json!({
            "key_id": pk.id_hex(),
            "public_key": pk.to_minisign_base64(),
        }))?;
    } else {
        print!("{}", pk.to_minisign_file());
    }
    Ok(())
}

pub fn export_payload_key(cli: &Cli, out: &std::path::Path) -> Result<()> {
    if out.exists() {
        bail!("{} already exists; choose another file", out.display());
    }
    let mut vault = unlock(cli)?;
    vault
        .export_payload_key(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if !cli.json {
        eprintln!(
            "The payload key is in {}. Anyone with this file can read every evidence \
             file of the vault: keep it offline and destroy it when done.",
            out.display()
        );
    } else {
        print_json(&json!({ "path": out }))?;
    }
    Ok(())
}
