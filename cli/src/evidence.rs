//! Evidence: import, show, export of originals, working copies.

use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::*;
use crate::progress_bar;
use crate::{parse_id, print_json, unlock};
use temoin_vault::case::{Case, Evidence};

pub fn run(cli: &Cli, e: &EvidenceCommand) -> Result<()> {
    match e {
        EvidenceCommand::Add { case_id, file } => {
            let case = parse_id(case_id)?;
            let size = std::fs::metadata(file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let mut vault = unlock(cli)?;
            vault.require::<Case>(case)?;
            let bar = progress_bar(size);
            let stored = vault.ingest_file(case, file, &mut |n| {
                if let Some(b) = &bar {
                    b.set_position(n)
                }
            })?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let r = &stored.record;
            if cli.json {
                print_json(&json!({
                    "id": stored.id,
                    "sha256": r.sha256,
                    "media_type": r.media_type,
                    "size": r.size,
                }))?;
            } else {
                println!("{}", stored.id);
                println!("sha256 {}", r.sha256);
                println!("media type {}, {} bytes", r.media_type, r.size);
            }
        }
        EvidenceCommand::Show { id } => {
            let id = parse_id(id)?;
            let vault = unlock(cli)?;
            let e = vault.require::<Evidence>(id)?;
            // A preview that does not open is reported, not fatal: the record
            // itself is what matters here.
            let preview = match vault.preview(id) {
                Ok(Some(_)) => "yes",
                Ok(None) => "no",
                Err(_) => "damaged (run `temoin verify`)",
            };
            let has_preview = preview == "yes";
            if cli.json {
                print_json(&json!({
                    "id": e.id,
                    "revision": e.revision,
                    "evidence": e.record,
                    "preview": has_preview,
                }))?;
            } else {
                let r = &e.record;
                println!("Evidence {}  (revision {})", e.id, e.revision);
                println!("  Case:       {}", r.case_id);
                println!("  Media type: {}, {} bytes", r.media_type, r.size);
                println!("  SHA-256:    {}", r.sha256);
                if let Some(d) = &r.derived_from {
                    use temoin_media::redact::Operation;
                    let done: Vec<String> = d
                        .operations
                        .iter()
                        .map(|op| match op {
                            Operation::StripMetadata => "metadata stripped".to_owned(),
                            Operation::BlackOut { regions } => {
                                format!("{} region(s) blacked out", regions.len())
                            }
                            Operation::Blur { regions } => {
                                format!("{} region(s) blurred", regions.len())
                            }
                            _ => "another operation".to_owned(),
                        })
                        .collect();
                    println!(
                        "  Working copy of {} (sha256 {}): {}",
                        d.original,
                        d.original_sha256,
                        done.join(", ")
                    );
                }
                match &r.capture {
                    None => println!(
                        "  Capture metadata: none (not a type read at intake, or an image over {} MiB)",
                        temoin_vault::evidence::MAX_IMAGE_BYTES / (1024 * 1024)
                    ),
                    Some(c) => {
                        let is_image = r.media_type.starts_with("image/");
                        let show = |label: &str, v: &Option<String>| {
                            println!("  {label:<11} {}", v.as_deref().unwrap_or("-"))
                        };
                        let show_some = |label: &str, v: &Option<String>| {
                            if let Some(v) = v {
                                println!("  {label:<11} {v}");
                            }
                        };
                        show_some("Format:", &c.format);
                        show("Taken:", &c.taken_at);
                        match &c.gps {
                            Some(g) => println!(
                                "  GPS:        {:.6}, {:.6}{}",
                                g.latitude,
                                g.longitude,
                                g.altitude
                                    .map(|a| format!(", {a:.0} m"))
                                    .unwrap_or_default()
                            ),
                            None if is_image => println!("  GPS:        -"),
                            None => {}
                        }
                        if is_image {
                            show("Make:", &c.make);
                            show("Model:", &c.model);
                            show("Software:", &c.software);
                        } else {
                            show_some("Software:", &c.software);
                        }
                        show_some("Author:", &c.author);
                        show_some("Title:", &c.title);
                        if let (Some(w), Some(h)) = (c.width, c.height) {
                            println!("  Size:       {w} x {h} pixels");
                        }
                        if let Some(d) = c.duration_seconds {
                            println!("  Duration:   {d:.1} s");
                        }
                        match (c.sample_rate, c.channels) {
                            (Some(rate), Some(ch)) => {
                                println!("  Sound:      {rate} Hz, {ch} channel(s)")
                            }
                            (Some(rate), None) => println!("  Sound:      {rate} Hz"),
                            _ => {}
                        }
                        if let Some(p) = c.pages {
                            println!("  Pages:      {p}");
                        }
                        if let Some(o) = c.orientation {
                            println!("  Orientation: {o}");
                        }
                        if c.has_xmp {
                            println!("  XMP metadata present");
                        }
                        if let Some(p) = &c.problem {
                            println!("  Note:       {p}");
                        }
                    }
                }
                println!("  Preview:    {preview}");
            }
        }
        EvidenceCommand::Redact {
            id,
            strip_metadata,
            regions,
            blur,
        } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let how = if *blur {
                temoin_media::redact::Cover::Blur
            } else {
                temoin_media::redact::Cover::Black
            };
            let copy = vault.redact_with(id, *strip_metadata, regions, how)?;
            if cli.json {
                print_json(&json!({
                    "id": copy.id,
                    "sha256": copy.record.sha256,
                    "media_type": copy.record.media_type,
                    "size": copy.record.size,
                    "original": id,
                }))?;
            } else {
                println!("{}", copy.id);
            }
        }
        EvidenceCommand::Export { id, out_file } => {
            let id = parse_id(id)?;
            let mut vault = unlock(cli)?;
            let facts = vault.export_original(id, out_file)?;
            if cli.json {
                print_json(&json!({
                    "id": id,
                    "sha256": facts.sha256,
                    "size": facts.size,
                    "media_type": facts.media_type,
                    "path": out_file,
                }))?;
            } else {
                println!(
                    "Wrote {} ({} bytes, sha256 {}); the export is in the custody log.",
                    out_file.display(),
                    facts.size,
                    facts.sha256
                );
            }
        }
    }
    Ok(())
}
