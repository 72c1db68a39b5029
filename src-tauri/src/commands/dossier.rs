//! Documents drafted from a case: on the device from the vault, at the
//! desk from a received case. The document goes into a folder the person
//! chose, under a neutral name, with its annexes in a folder beside it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use temoin_dossier::{CaseFile, Document, Kind, Language};
use temoin_vault::ItemId;

use crate::error::AppError;
use crate::session::{blocking, Shared};

use super::parse_id;

/// What to draft.
#[derive(Clone, Copy, Debug, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DossierKind {
    Appeal,
    Cat,
    Hrc,
    Assistance,
}

impl From<DossierKind> for Kind {
    fn from(k: DossierKind) -> Kind {
        match k {
            DossierKind::Appeal => Kind::Appeal,
            DossierKind::Cat => Kind::Cat,
            DossierKind::Hrc => Kind::Hrc,
            DossierKind::Assistance => Kind::Assistance,
        }
    }
}

/// A drafted document.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DossierResult {
    /// The document, to edit (DOCX).
    pub path: String,
    /// The same document as PDF, to send (Arabic shaped, fonts embedded).
    pub pdf_path: String,
    /// The folder of its annexes, when it has any.
    pub annexes_folder: Option<String>,
    pub annexes: u32,
    /// The drafting notes: who was left out or pseudonymised, what is
    /// flagged.
    pub notes: Vec<String>,
}

/// A file-system error, in words (the path is the one the person chose).
fn io(e: std::io::Error) -> AppError {
    AppError::new(
        crate::error::ErrorCode::Io,
        format!("the document could not be written in the chosen folder: {e}"),
    )
}

pub(crate) fn language(code: &str) -> Result<Language, AppError> {
    Language::from_code(code).ok_or_else(|| AppError::invalid("no such language"))
}

pub(crate) fn folder(folder: &str) -> Result<PathBuf, AppError> {
    let folder = PathBuf::from(folder);
    if !folder.is_absolute() || !folder.is_dir() {
        return Err(AppError::invalid("the chosen folder does not exist"));
    }
    Ok(folder)
}

/// Writes the document into `folder` as DOCX and as PDF, under one neutral
/// name (nothing of the case in it), refusing to replace anything. Both or
/// neither: a PDF that cannot be written takes the DOCX away again.
pub(crate) fn write_documents(
    doc: &Document,
    folder: &Path,
) -> Result<(PathBuf, PathBuf), AppError> {
    let failed =
        |e: temoin_dossier::DossierError| AppError::new(crate::error::ErrorCode::Io, e.to_string());
    let mut docx = std::io::Cursor::new(Vec::new());
    temoin_dossier::docx::write(doc, &mut docx).map_err(failed)?;
    let mut pdf = Vec::new();
    temoin_dossier::pdf::write(doc, &mut pdf).map_err(failed)?;
    let base = format!("temoin-{}", ItemId::random());
    let docx_path = folder.join(format!("{base}.docx"));
    let pdf_path = folder.join(format!("{base}.pdf"));
    write_new(&docx_path, docx.get_ref())?;
    if let Err(e) = write_new(&pdf_path, &pdf) {
        let _ = std::fs::remove_file(&docx_path);
        return Err(e);
    }
    Ok((docx_path, pdf_path))
}

/// A new file, its owner's alone, synced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io)?;
    // Whole or not at all: a full disk leaves no part of a document.
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(path);
        io(e)
    })
}

/// Drafts a document from a case of the vault into `folder`; a complaint's
/// or a request's annexes (the originals, checked against their hashes and
/// recorded in custody) go into a new folder beside it.
#[tauri::command]
#[specta::specta]
pub async fn case_dossier(
    session: State<'_, Shared>,
    case_id: String,
    kind: DossierKind,
    language: String,
    folder: String,
) -> Result<DossierResult, AppError> {
    let case_id = parse_id(&case_id)?;
    let lang = self::language(&language)?;
    let folder = self::folder(&folder)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            let items = v.case_items(case_id)?;
            let mut file = CaseFile::from_items(
                case_id,
                items
                    .iter()
                    .map(|i| (i.kind.name(), i.id, i.revision, &i.record)),
            )
            .map_err(|e| AppError::invalid(e.to_string()))?;
            let ids: Vec<ItemId> = file.evidence.iter().map(|e| e.rec.id).collect();
            let mut custody = v.custody_summaries(&ids)?;
            for e in &mut file.evidence {
                e.custody = custody.remove(&e.rec.id).unwrap_or_default();
            }
            let doc = temoin_dossier::draft(kind.into(), &file, lang).map_err(|e| match e {
                temoin_dossier::DossierError::NoConsent { .. } => {
                    AppError::new(crate::error::ErrorCode::Consent, e.to_string())
                }
                other => AppError::invalid(other.to_string()),
            })?;
            let mut annexes_folder = None;
            if !doc.annexes.is_empty() {
                let dir = folder.join(format!("temoin-annexes-{}", ItemId::random()));
                std::fs::create_dir(&dir).map_err(io)?;
                let exported = doc
                    .annexes
                    .iter()
                    .try_for_each(|a| v.export_original(a.id, &dir.join(&a.file_name)).map(drop));
                if let Err(e) = exported {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e.into());
                }
                annexes_folder = Some(dir);
            }
            let (path, pdf_path) = write_documents(&doc, &folder).inspect_err(|_| {
                // No annexes without their document.
                if let Some(dir) = &annexes_folder {
                    let _ = std::fs::remove_dir_all(dir);
                }
            })?;
            let annexes_folder = annexes_folder.map(|d| d.display().to_string());
            Ok(DossierResult {
                path: path.display().to_string(),
                pdf_path: pdf_path.display().to_string(),
                annexes_folder,
                annexes: u32::try_from(doc.annexes.len()).unwrap_or(u32::MAX),
                notes: doc.notes.clone(),
            })
        })
    })
    .await
}
