//! Cases, testimonies and search.

use std::path::Path;

use anyhow::{bail, Result};
use serde_json::json;

use crate::cli::*;
use crate::passphrase::text_arg;
use crate::read_text_file;
use crate::{parse_id, print_json, unlock};
use temoin_vault::case::{Case, CaseStatus, Evidence, Testimony};
use temoin_vault::Kind;

pub fn run(cli: &Cli, c: &CaseCommand) -> Result<()> {
    match c {
        CaseCommand::New {
            title,
            title_file,
            summary,
            summary_file,
        } => {
            let title = text_arg(title.as_deref(), title_file.as_deref())?
                .ok_or_else(|| anyhow::anyhow!("give the title with --title or --title-file"))?;
            let mut case = Case::new(title);
            case.summary = text_arg(summary.as_deref(), summary_file.as_deref())?;
            let mut vault = unlock(cli)?;
            let id = vault.add(&case)?;
            if cli.json {
                print_json(&json!({ "id": id }))?;
            } else {
                println!("{id}");
            }
        }
        CaseCommand::List => {
            let vault = unlock(cli)?;
            let mut cases = Vec::new();
            for id in vault.list(Kind::Case) {
                cases.push(vault.require::<Case>(id)?);
            }
            cases.sort_by(|a, b| a.record.title.cmp(&b.record.title));
            if cli.json {
                let rows: Vec<_> = cases
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "title": c.record.title,
                            "status": c.record.status,
                            "urgent": c.record.urgent,
                            "revision": c.revision,
                        })
                    })
                    .collect();
                print_json(&json!(rows))?;
            } else if cases.is_empty() {
                println!("No cases yet.");
            } else {
                for c in cases {
                    println!(
                        "{}  {:<12}  {}",
                        c.id,
                        c.record.status.code(),
                        c.record.title
                    );
                }
            }
        }
        CaseCommand::Show { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let case = vault.require::<Case>(id)?;
            let mut testimonies = vault.list_in_case(id, Kind::Testimony);
            testimonies.sort();
            let mut evidence = Vec::new();
            for e in vault.list_in_case(id, Kind::Evidence) {
                evidence.push(vault.require::<Evidence>(e)?);
            }
            evidence.sort_by_key(|e| e.id);
            if cli.json {
                let ev: Vec<_> = evidence
                    .iter()
                    .map(|e| {
                        json!({
                            "id": e.id,
                            "media_type": e.record.media_type,
                            "size": e.record.size,
                            "sha256": e.record.sha256,
                            "original_name": e.record.original_name,
                        })
                    })
                    .collect();
                print_json(&json!({
                    "id": case.id,
                    "revision": case.revision,
                    "case": case.record,
                    "testimonies": testimonies,
                    "evidence": ev,
                }))?;
            } else {
                let r = &case.record;
                println!("Case {}  (revision {})", case.id, case.revision);
                println!("  Title:   {}", r.title);
                if let Some(s) = &r.summary {
                    println!("  Summary: {s}");
                }
                println!(
                    "  Status:  {}{}",
                    r.status.code(),
                    if r.urgent { ", urgent" } else { "" }
                );
                println!("  Testimonies: {}", testimonies.len());
                for t in &testimonies {
                    println!("    {t}");
                }
                println!("  Evidence: {}", evidence.len());
                for e in &evidence {
                    println!(
                        "    {}  {}  {} bytes  sha256 {}",
                        e.id, e.record.media_type, e.record.size, e.record.sha256
                    );
                }
            }
        }
        CaseCommand::Edit {
            id,
            title,
            title_file,
            summary,
            summary_file,
            status,
        } => {
            let title = text_arg(title.as_deref(), title_file.as_deref())?;
            let summary = text_arg(summary.as_deref(), summary_file.as_deref())?;
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let mut case = vault.require::<Case>(id)?.record;
            if let Some(t) = title {
                case.title = t;
            }
            if let Some(s) = summary {
                case.summary = Some(s);
            }
            if let Some(s) = status {
                case.status = match s {
                    StatusArg::Open => CaseStatus::Open,
                    StatusArg::UnderReview => CaseStatus::UnderReview,
                    StatusArg::Submitted => CaseStatus::Submitted,
                    StatusArg::Closed => CaseStatus::Closed,
                };
            }
            let revision = vault.update(id, &case)?;
            if cli.json {
                print_json(&json!({ "id": id, "revision": revision }))?;
            } else {
                println!("Case {id} is now at revision {revision}.");
            }
        }
        CaseCommand::Urgent {
            id,
            reason,
            note_file,
            clear,
        } => {
            let note = text_arg(None, note_file.as_deref())?
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty());
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let mut case = vault.require::<Case>(id)?.record;
            if *clear {
                if !case.urgent {
                    bail!("case {id} is not marked urgent; nothing was changed");
                }
                case.urgent = false;
                case.urgent_reason = None;
                case.urgent_note = None;
            } else {
                case.urgent = true;
                case.urgent_reason = reason.map(Into::into);
                // A note given replaces the old one; none given keeps it.
                if note.is_some() {
                    case.urgent_note = note;
                }
            }
            let revision = vault.update(id, &case)?;
            if cli.json {
                print_json(
                    &json!({ "id": id, "revision": revision, "urgent": case.urgent,
                    "reason": case.urgent_reason.map(|r| r.code()) }),
                )?;
            } else if case.urgent {
                println!(
                    "Case {id} is marked urgent ({}), revision {revision}: at its next submission it goes before any other bundle.",
                    case.urgent_reason.map(|r| r.code()).unwrap_or_default()
                );
            } else {
                println!("Case {id} is no longer marked urgent (revision {revision}).");
            }
        }
        CaseCommand::History { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let history = vault.history::<Case>(id)?;
            if cli.json {
                let rows: Vec<_> = history
                    .iter()
                    .map(|s| json!({ "revision": s.revision, "case": s.record }))
                    .collect();
                print_json(&json!(rows))?;
            } else {
                for s in history {
                    println!(
                        "revision {}: {} [{}]",
                        s.revision,
                        s.record.title,
                        s.record.status.code()
                    );
                }
            }
        }
        CaseCommand::Delete { id } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            if vault.kind_of(id) != Some(Kind::Case) {
                bail!("no case with id {id}");
            }
            vault.delete(id)?;
            if cli.json {
                print_json(&json!({ "deleted": id }))?;
            } else {
                println!("Case {id} and everything in it were deleted; the deletion is in the custody log.");
            }
        }
    }
    Ok(())
}

pub fn add_testimony(
    cli: &Cli,
    case_id: &str,
    narrative_file: &Path,
    language: Option<&str>,
) -> Result<()> {
    let case = parse_id(case_id)?;
    let narrative = read_text_file(narrative_file)?;
    let mut vault = unlock(cli)?;
    vault.require::<Case>(case)?;
    let mut t = Testimony::new(case, narrative.to_string());
    t.interview.language = language.map(str::to_owned);
    let id = vault.add(&t)?;
    if cli.json {
        print_json(&json!({ "id": id }))?;
    } else {
        println!("{id}");
    }
    Ok(())
}

pub fn search(cli: &Cli, query: &[String], file: Option<&std::path::Path>) -> Result<()> {
    let query = match file {
        Some(f) => text_arg(None, Some(f))?.unwrap_or_default(),
        None => query.join(" "),
    };
    if query.trim().is_empty() {
        anyhow::bail!("give words to look for");
    }
    let vault = unlock(cli)?;
    let hits = vault.search(&query, 1000);
    if cli.json {
        let rows: Vec<_> = hits
            .iter()
            .map(|h| json!({ "id": h.id, "kind": h.kind, "case": h.case }))
            .collect();
        print_json(&json!(rows))?;
    } else if hits.is_empty() {
        println!("Nothing found.");
    } else {
        for h in hits {
            match (h.kind, h.case) {
                (Kind::Case, _) => {
                    let title = vault
                        .get::<Case>(h.id)?
                        .map(|c| c.record.title)
                        .unwrap_or_default();
                    println!("case        {}  {}", h.id, title)
                }
                (kind, Some(case)) => {
                    println!("{:<11} {}  (case {case})", kind.name(), h.id)
                }
                (kind, None) => println!("{:<11} {}", kind.name(), h.id),
            }
        }
    }
    Ok(())
}
