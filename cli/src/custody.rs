//! Verifying the vault, and reading its custody log.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::cli::*;
use crate::hex_digest;
use crate::{parse_id, print_json, unlock};
use temoin_vault::custody::CustodyEntry;

pub fn verify(cli: &Cli) -> Result<ExitCode> {
    let vault = unlock(cli)?;
    let report = vault.verify()?;
    if cli.json {
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        print_json(&json!({
            "ok": report.is_ok(),
            "items": report.items,
            "revisions": report.revisions,
            "payloads": report.payloads,
            "payload_bytes": report.payload_bytes,
            "custody_entries": report.custody_entries,
            "problems": problems,
        }))?;
    } else {
        println!(
            "Checked {} items, {} revisions, {} evidence files ({} bytes), {} custody entries.",
            report.items,
            report.revisions,
            report.payloads,
            report.payload_bytes,
            report.custody_entries
        );
        if report.is_ok() {
            println!("Everything verifies.");
        } else {
            println!("{} problem(s):", report.problems.len());
            for p in &report.problems {
                println!("  - {p}");
            }
        }
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DAMAGED)
    })
}

pub fn show(cli: &Cli, id: Option<&str>) -> Result<()> {
    let id = id.map(parse_id).transpose()?;
    let vault = unlock(cli)?;
    let entries: Vec<CustodyEntry> = vault
        .custody()?
        .into_iter()
        .filter(|e| match id {
            None => true,
            Some(id) => {
                e.body.item == Some(id) || e.body.case == Some(id) || e.body.source == Some(id)
            }
        })
        .collect();
    if cli.json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "body": e.body,
                    // The exact bytes that were signed and hashed, for
                    // auditors checking with minisign and sha256sum.
                    "signed_body": String::from_utf8_lossy(&e.body_bytes),
                    "hash": hex_digest(&e.hash()),
                    "signature": e.signature,
                })
            })
            .collect();
        print_json(&json!(rows))?;
    } else {
        for e in entries {
            let b = &e.body;
            print!("{:>6}  {}  {:<18}", b.seq, b.time, b.action.code());
            if let (Some(kind), Some(item)) = (b.kind, b.item) {
                print!(" {kind} {item}");
            }
            if let Some(r) = b.revision {
                print!(" rev {r}");
            }
            if let Some(h) = &b.sha256 {
                print!(" sha256 {h}");
            }
            if let (Some(src), Some(h)) = (b.source, &b.source_sha256) {
                print!(" from {src} sha256 {h}");
            }
            println!();
        }
    }
    Ok(())
}
