//! Consent: given, withdrawn, listed.

use anyhow::Result;
use serde_json::json;

use crate::cli::*;
use crate::passphrase::text_arg;
use crate::{parse_id, print_json, unlock};

pub fn run(cli: &Cli, c: &ConsentCommand) -> Result<()> {
    use temoin_vault::case::{Consent, Withdrawal};
    use temoin_vault::PartialDate;
    match c {
        ConsentCommand::Add {
            case_id,
            scopes,
            given_by_name,
            given_by_name_file,
            given_on,
            method,
            note,
            note_file,
        } => {
            let given_by_name = text_arg(given_by_name.as_deref(), given_by_name_file.as_deref())?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "give who consented with --given-by-name or --given-by-name-file"
                    )
                })?;
            let note = text_arg(note.as_deref(), note_file.as_deref())?;
            let mut consent = Consent::new(
                parse_id(case_id)?,
                given_by_name,
                PartialDate(given_on.clone()),
                scopes.iter().map(|s| (*s).into()).collect(),
            );
            consent.method = (*method).into();
            consent.note = note;
            let mut vault = unlock(cli)?;
            let id = vault.add(&consent)?;
            if cli.json {
                print_json(&json!({ "id": id }))?;
            } else {
                println!("{id}");
            }
        }
        ConsentCommand::Withdraw { id, on, scopes } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let mut consent = vault.require::<Consent>(id)?.record;
            consent.withdrawal = Some(Withdrawal {
                on: PartialDate(on.clone()),
                scopes: scopes.iter().map(|s| (*s).into()).collect(),
                note: None,
            });
            let revision = vault.update(id, &consent)?;
            if cli.json {
                print_json(&json!({ "id": id, "revision": revision }))?;
            } else {
                println!("Consent {id} withdrawn (revision {revision}).");
            }
        }
    }
    Ok(())
}
