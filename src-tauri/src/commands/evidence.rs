//! Evidence: imports as jobs with progress, details, previews, working
//! copies.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;
use temoin_media::redact::Cover;
use temoin_vault::case::Evidence;
use temoin_vault::{ItemId, Kind};

use crate::error::{AppError, ErrorCode};
use crate::events::{ImportDone, ImportFailure, ImportProgress};
use crate::region::{to_region, FractionRect};
use crate::session::Session;

use super::*;
use crate::session::{blocking, Shared};

/// Reads a file for import, failing once the session's generation moves on
/// (the person locked), so an import stops within one read.
struct Guarded<'a, R> {
    inner: R,
    session: &'a Session,
    generation: u64,
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.session.generation() != self.generation {
            return Err(std::io::Error::other("the vault was locked"));
        }
        self.inner.read(buf)
    }
}

/// One import job: files into one case, under one generation.
struct Job<'a> {
    app: &'a AppHandle,
    session: &'a Session,
    generation: u64,
    id: String,
    count: u32,
    case_id: ItemId,
}

fn import_one(job: &Job<'_>, index: u32, path: &std::path::Path) -> Result<ItemId, AppError> {
    let Job {
        app,
        session: s,
        generation,
        count,
        case_id,
        ..
    } = *job;
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::new(ErrorCode::Io, format!("the file could not be opened: {e}")))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = Guarded {
        inner: file,
        session: s,
        generation,
    };
    let mut last = 0u64;
    let mut progress = |done: u64| {
        // At most about a hundred events per file.
        if done == total || done.saturating_sub(last) >= (total / 100).max(1 << 20) {
            last = done;
            let _ = ImportProgress {
                job: job.id.clone(),
                index,
                count,
                bytes_done: done,
                bytes_total: total,
            }
            .emit(app);
        }
    };
    // Staging (the long part: reading, hashing, encrypting) shares the
    // vault with readers; only the commit takes it alone.
    let staged = s.read(|v| {
        if v.kind_of(case_id) != Some(Kind::Case) {
            return Err(AppError::new(ErrorCode::NotFound, "no such case"));
        }
        Ok(v.stage_payload(reader, &mut progress)?)
    })?;
    let mut evidence = Evidence::new(case_id);
    evidence.original_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect());
    s.write(|v| {
        if s.generation() != generation {
            return Err(AppError::locked());
        }
        Ok(v.add_evidence(staged, evidence)?.id)
    })
}

#[tauri::command]
#[specta::specta]
pub async fn evidence_import(
    app: AppHandle,
    session: State<'_, Shared>,
    case_id: String,
    paths: Vec<String>,
) -> Result<String, AppError> {
    let case_id = parse_id(&case_id)?;
    if paths.is_empty() {
        return Err(AppError::invalid("no file was chosen"));
    }
    session.touch();
    let s = Arc::clone(session.inner());
    if !s.is_unlocked() {
        return Err(AppError::locked());
    }
    let generation = s.generation();
    let job = ItemId::random().to_string();
    let job_id = job.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let job = Job {
            app: &app,
            session: &s,
            generation,
            id: job,
            count: paths.len() as u32,
            case_id,
        };
        let mut imported = Vec::new();
        let mut failed = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            match import_one(&job, i as u32, &PathBuf::from(p)) {
                Ok(id) => imported.push(id),
                Err(e) => failed.push(ImportFailure {
                    index: i as u32,
                    code: e.code,
                    message: e.message,
                }),
            }
        }
        let _ = ImportDone {
            job: job.id,
            imported,
            failed,
        }
        .emit(&app);
    });
    Ok(job_id)
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct EvidenceDetail {
    pub id: ItemId,
    pub revision: u32,
    pub record: Evidence,
    /// Facts of audio, video and documents, as `label: value` lines.
    pub facts: Vec<String>,
}

fn facts_of(e: &Evidence) -> Vec<String> {
    let Some(c) = &e.capture else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(f) = &c.format {
        out.push(format!("format: {f}"));
    }
    if let Some(d) = c.duration_seconds {
        out.push(format!("duration: {d:.1} s"));
    }
    if let Some(r) = c.sample_rate {
        out.push(format!("sample rate: {r} Hz"));
    }
    if let Some(ch) = c.channels {
        out.push(format!("channels: {ch}"));
    }
    if let Some(p) = c.pages {
        out.push(format!("pages: {p}"));
    }
    out
}

#[tauri::command]
#[specta::specta]
pub async fn evidence_get(
    session: State<'_, Shared>,
    id: String,
) -> Result<EvidenceDetail, AppError> {
    let id = parse_id(&id)?;
    blocking(&session, move |s| {
        s.read(|v| {
            let e = v.require::<Evidence>(id)?;
            Ok(EvidenceDetail {
                id,
                revision: e.revision,
                facts: facts_of(&e.record),
                record: e.record,
            })
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn evidence_thumbnail(
    session: State<'_, Shared>,
    id: String,
) -> Result<Option<String>, AppError> {
    let id = parse_id(&id)?;
    blocking(&session, move |s| {
        s.read(|v| {
            Ok(v.preview(id)?
                .map(|jpeg| format!("data:image/jpeg;base64,{}", B64.encode(&*jpeg))))
        })
    })
    .await
}

#[derive(Clone, Copy, Debug, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CoverChoice {
    Black,
    Blur,
}

#[tauri::command]
#[specta::specta]
pub async fn evidence_redact(
    session: State<'_, Shared>,
    id: String,
    regions: Vec<FractionRect>,
    cover: CoverChoice,
    strip_metadata: bool,
) -> Result<ItemId, AppError> {
    let id = parse_id(&id)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            let e = v.require::<Evidence>(id)?.record;
            let capture = e.capture.as_ref();
            let (w, h) = match capture.and_then(|c| Some((c.width?, c.height?))) {
                Some(d) => d,
                None if regions.is_empty() => (0, 0),
                None => {
                    return Err(AppError::invalid(
                        "regions can only be drawn on an image whose size is known",
                    ))
                }
            };
            let orientation = capture.and_then(|c| c.orientation).unwrap_or(1);
            let mut pixels = Vec::new();
            for r in regions {
                pixels.push(to_region(r, w, h, orientation).ok_or_else(|| {
                    AppError::invalid("a region lies outside the image or covers nothing")
                })?);
            }
            let how = match cover {
                CoverChoice::Black => Cover::Black,
                CoverChoice::Blur => Cover::Blur,
            };
            Ok(v.redact_with(id, strip_metadata, &pixels, how)?.id)
        })
    })
    .await
}
