//! `temoin dossier`: a document drafted from a case's records (an urgent
//! appeal, a CAT or Human Rights Committee complaint skeleton, an
//! assistance request), with its annexes exported as numbered files.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

use crate::cli::{Cli, DossierKindArg};
use crate::{parse_id, print_json, unlock};
use temoin_dossier::{CaseFile, Document, Kind, Language};
use temoin_vault::{ItemId, Vault};

impl From<DossierKindArg> for Kind {
    fn from(k: DossierKindArg) -> Kind {
        match k {
            DossierKindArg::Appeal => Kind::Appeal,
            DossierKindArg::Cat => Kind::Cat,
            DossierKindArg::Hrc => Kind::Hrc,
            DossierKindArg::Assistance => Kind::Assistance,
        }
    }
}

/// The case's records as a document is drafted from them, each evidence
/// item with its custody.
pub fn case_file(v: &Vault, case_id: ItemId) -> Result<CaseFile> {
    let items = v.case_items(case_id)?;
    let mut file = CaseFile::from_items(
        case_id,
        items
            .iter()
            .map(|i| (i.kind.name(), i.id, i.revision, &i.record)),
    )?;
    let ids: Vec<ItemId> = file.evidence.iter().map(|e| e.rec.id).collect();
    let mut custody = v.custody_summaries(&ids)?;
    for e in &mut file.evidence {
        e.custody = custody.remove(&e.rec.id).unwrap_or_default();
    }
    Ok(file)
}

/// Writes `bytes` to a new file at `path`, readable by its owner only;
/// refuses one that exists.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow!("{} already exists: choose another name", path.display())
        } else {
            anyhow!("cannot create {}: {e}", path.display())
        }
    })?;
    // Whole or not at all: a full disk leaves no part of a document.
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The document's bytes, in the format its file name asks for: DOCX for
/// `.docx`, PDF for `.pdf` ([`check_out`] refuses anything else).
pub fn document_bytes(doc: &Document, out: &Path) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    if is_pdf(out) {
        temoin_dossier::pdf::write(doc, &mut buf)?;
    } else {
        temoin_dossier::docx::write(doc, &mut buf)?;
    }
    Ok(buf.into_inner())
}

/// Whether `out` names a PDF (`.pdf`, in any case).
fn is_pdf(out: &Path) -> bool {
    out.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
}

/// Checks `out`'s extension and that it does not exist, before any work.
pub fn check_out(out: &Path) -> Result<()> {
    let docx = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("docx"));
    if !docx && !is_pdf(out) {
        bail!("the document's format comes from its name: end it in .docx or .pdf");
    }
    if out.exists() {
        bail!("{} already exists: choose another name", out.display());
    }
    Ok(())
}

pub fn run(
    cli: &Cli,
    case: &str,
    kind: DossierKindArg,
    language: &str,
    annexes: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let lang = Language::from_code(language)
        .ok_or_else(|| anyhow!("no such language `{language}`: en, fr, es or ar"))?;
    check_out(out)?;
    if let Some(dir) = annexes {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot make the folder {}", dir.display()))?;
    }
    let case = parse_id(case)?;
    let mut v = unlock(cli)?;
    let file = case_file(&v, case)?;
    let doc = temoin_dossier::draft(kind.into(), &file, lang)?;
    let bytes = document_bytes(&doc, out)?;
    // The annexes first: each export is checked against its hash and
    // recorded in custody; the document goes last, once they are in place.
    let mut exported = Vec::new();
    if let Some(dir) = annexes {
        for a in &doc.annexes {
            let path = dir.join(&a.file_name);
            v.export_original(a.id, &path)
                .with_context(|| format!("annex {} could not be exported", a.number))?;
            exported.push(path);
        }
    }
    if let Err(e) = write_new(out, &bytes) {
        // No annexes without their document.
        for p in &exported {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    if cli.json {
        print_json(&json!({
            "out": out,
            "annexes": doc.annexes.iter().map(|a| json!({
                "number": a.number, "id": a.id, "sha256": a.sha256, "file": a.file_name,
            })).collect::<Vec<_>>(),
            "sources": doc.sources.len(),
        }))?;
    } else {
        println!(
            "Wrote {} ({} annex(es){}).",
            out.display(),
            doc.annexes.len(),
            if exported.is_empty() && !doc.annexes.is_empty() {
                "; give --annexes DIR to export them"
            } else {
                ""
            }
        );
    }
    Ok(())
}
