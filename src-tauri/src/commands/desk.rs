//! OMCT's desk as a mode of the app: the same window over `temoin-desk`,
//! which keeps every received case sealed in the desk's store. These
//! commands are wiring, as the field side's are: unlock and make the desk,
//! pull and open what arrived, the inbox, a case read whole, its evidence
//! shown from the store, triage, messages, devices, figures.
//!
//! Nothing decrypted is written to disk here: an evidence file goes from
//! the store into this process's memory and on to the window, re-encoded
//! first when it is an image (a received file is untrusted input, decoded
//! by our bounded decoder, never by the web view's); exporting a case to a
//! folder is the officer's deliberate act, recorded in the desk's custody
//! log.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use serde::Serialize;
use specta::Type;
use tauri::State;
use temoin_crypto::Passphrase;
use temoin_desk::{Desk, DeskError, KdfChoice, MessageKind, TriageState};
use temoin_proto::code::{fingerprint_words, root_fingerprint};
use temoin_sync::client::Endpoint;
use temoin_vault::case::{
    Assistance, Case, Consent, Detention, Evidence, FollowUp, Perpetrator, Person, Place,
    Proceeding, Testimony, Violation,
};
use temoin_vault::{ItemId, Record};

use super::*;
use crate::error::{AppError, ErrorCode};
use crate::session::{AppMode, DeskHandle, Session, Shared};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The largest evidence file the window is given whole (an image, a PDF);
/// anything larger is exported to a folder instead.
const MAX_SHOWN_BYTES: u64 = 64 * 1024 * 1024;

/// The longest side of an image as the window shows it "at full size":
/// re-encoded at this size at most.
const MAX_SHOWN_SIDE: u32 = 4096;

impl From<DeskError> for AppError {
    fn from(e: DeskError) -> AppError {
        match e {
            DeskError::Sync(s) => s.into(),
            DeskError::Local(m) => {
                // The desk's sentences name files, ids and states, never a
                // case's text.
                let code = if m.starts_with("wrong passphrase") {
                    ErrorCode::WrongPassphrase
                } else if m.contains("open in another") {
                    ErrorCode::Busy
                } else if m.contains("has no received case") || m.contains("the case has no file") {
                    ErrorCode::NotFound
                } else if m.contains("damaged") {
                    ErrorCode::Damaged
                } else {
                    ErrorCode::InvalidInput
                };
                AppError::new(code, m)
            }
        }
    }
}

/// Runs `f` with the open desk alone, on the blocking pool.
async fn with_desk<T: Send + 'static>(
    session: &State<'_, Shared>,
    f: impl FnOnce(&mut Desk) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let desk = session.desk()?;
    session.touch();
    tauri::async_runtime::spawn_blocking(move || {
        let mut d = desk.blocking_lock();
        f(&mut d)
    })
    .await
    .map_err(|_| AppError::new(ErrorCode::Internal, "a background task failed"))?
}

fn desk_mode(s: &Session) -> Result<(), AppError> {
    if s.settings().mode != Some(AppMode::Desk) {
        return Err(AppError::invalid(
            "this installation documents cases; the desk is another installation",
        ));
    }
    Ok(())
}

/// Chooses what this installation is for, at first run. Refused once a
/// vault or a desk exists here for the other mode, or while one is open.
#[tauri::command]
#[specta::specta]
pub async fn set_mode(session: State<'_, Shared>, mode: AppMode) -> Result<(), AppError> {
    crate::session::blocking(&session, move |s| {
        if s.anything_open() {
            return Err(AppError::invalid("lock first"));
        }
        let vault = s.vault_dir().join("keyslots.json").exists();
        if (mode == AppMode::Desk && vault) || (mode == AppMode::Field && s.desk_exists()) {
            return Err(AppError::invalid(
                "this computer already holds the other kind of store: install the other mode elsewhere",
            ));
        }
        s.set_mode(mode)
    })
    .await
}

/// Makes the desk: OMCT's keys sealed in a new store with the passphrase,
/// the signed recipient list published on the intake server (its address,
/// certificate pin and the desk token from `intake init`).
#[tauri::command]
#[specta::specta]
pub async fn desk_create(
    session: State<'_, Shared>,
    passphrase: String,
    server: String,
    pin: String,
    desk_token: String,
) -> Result<(), AppError> {
    let score = strength_of(&passphrase).score;
    let passphrase = Passphrase::new(passphrase);
    desk_mode(&session)?;
    if passphrase.is_empty() {
        return Err(AppError::new(
            ErrorCode::EmptyPassphrase,
            "the passphrase must not be empty",
        ));
    }
    if score < MIN_SCORE {
        return Err(AppError::new(
            ErrorCode::WeakPassphrase,
            "this passphrase would be guessed too easily",
        ));
    }
    let server = server.trim().to_owned();
    if !server.starts_with("https://") {
        return Err(AppError::invalid(
            "the intake server's address starts with https://",
        ));
    }
    let pin = temoin_proto::pin::parse_pin(pin.trim())
        .ok_or_else(|| AppError::invalid("the pin is sha256: followed by 64 hex digits"))?;
    let token = desk_token.trim().to_owned();
    if token.is_empty() {
        return Err(AppError::invalid("the desk token is missing"));
    }
    let dir = session.desk_dir().to_owned();
    let endpoint = Endpoint {
        url: server,
        pin,
        proxy: None,
        timeout_secs: None,
    };
    let (desk, _) = Desk::create(
        &dir,
        &passphrase,
        KdfChoice::Calibrated,
        Some((endpoint, token)),
    )
    .await?;
    session.open_desk(desk);
    Ok(())
}

/// Opens the desk with its passphrase.
#[tauri::command]
#[specta::specta]
pub async fn desk_unlock(session: State<'_, Shared>, passphrase: String) -> Result<(), AppError> {
    let passphrase = Passphrase::new(passphrase);
    crate::session::blocking(&session, move |s| {
        desk_mode(s)?;
        let desk = Desk::unlock(s.desk_dir(), &passphrase)?;
        s.open_desk(desk);
        Ok(())
    })
    .await
}

/// What one pull and open did, in numbers and codes (no case content).
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskPullReport {
    /// Bundles fetched from the server.
    pub pulled: u32,
    /// Bundles opened, verified and filed as cases.
    pub accepted: u32,
    /// Bundles that did not verify: never cases, kept as ciphertext.
    pub flagged: u32,
    /// Why, as problem codes, one line a flagged bundle.
    pub problems: Vec<String>,
    /// At an officer's desk: bundles from a device OMCT's registry does not
    /// name yet, opened again after a later pull.
    pub waiting: u32,
    /// Messages from devices received and verified.
    pub messages: u32,
    /// Relayed messages refused (they did not verify).
    pub messages_refused: u32,
}

/// Takes what arrived: fetches new bundles and messages from the intake
/// server, opens every bundle into the store (verified first; a flagged
/// one never becomes a case), then relays the signed acknowledgements.
#[tauri::command]
#[specta::specta]
pub async fn desk_pull(session: State<'_, Shared>) -> Result<DeskPullReport, AppError> {
    let desk = session.desk()?;
    session.touch();
    let (pulled, exchange) = {
        let mut d = desk.lock().await;
        let pulled = d.pull().await?;
        (pulled.len(), d.last_exchange().clone())
    };
    let d2 = Arc::clone(&desk);
    let opened = tauri::async_runtime::spawn_blocking(move || d2.blocking_lock().open(None))
        .await
        .map_err(|_| AppError::new(ErrorCode::Internal, "a background task failed"))??;
    if !opened.is_empty() {
        // The devices learn at once when the server can be reached, else
        // at the next pull.
        let _ = desk.lock().await.relay_acks().await;
    }
    let mut report = DeskPullReport {
        pulled: count(pulled),
        accepted: 0,
        flagged: 0,
        problems: Vec::new(),
        waiting: 0,
        messages: count(exchange.received.len()),
        messages_refused: count(exchange.refused),
    };
    for o in &opened {
        if o.accepted() {
            report.accepted += 1;
        } else if o.waiting {
            report.waiting += 1;
        } else {
            report.flagged += 1;
            let mut codes: Vec<String> = o
                .report
                .problems
                .iter()
                .map(|p| p.code.to_string())
                .collect();
            if !o.desk_problems.is_empty() {
                codes.push("desk".into());
            }
            report.problems.push(codes.join(", "));
        }
    }
    Ok(report)
}

fn count(n: usize) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// One received case in the inbox.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskCaseRow {
    pub id: ItemId,
    pub case_id: ItemId,
    pub title: String,
    pub country: Option<String>,
    pub urgent: bool,
    pub violations: Vec<String>,
    /// The latest version is an urgent case's text, sent ahead of its
    /// evidence files: they follow.
    pub files_follow: bool,
    /// `new`, `in_review`, `accepted`, `declined`, `needs_information`,
    /// `closed`.
    pub state: String,
    pub received_at: String,
    pub device_key_id: String,
    pub device_label: Option<String>,
    pub versions: u32,
    /// Messages from the device not yet answered or seen (received after
    /// the desk's last message on the case).
    pub waiting_messages: u32,
}

fn row(r: &temoin_desk::CaseRow) -> DeskCaseRow {
    DeskCaseRow {
        id: r.id,
        case_id: r.case_id,
        title: r.title.clone(),
        country: r.country.clone(),
        urgent: r.urgent,
        violations: r.violations.clone(),
        files_follow: r.files_follow,
        state: r.state.code().to_owned(),
        received_at: r.received_at.clone(),
        device_key_id: r.device_key_id.clone(),
        device_label: r.device_label.clone(),
        versions: count(r.versions),
        waiting_messages: 0,
    }
}

/// The inbox: urgent cases first, then the latest received; narrowed by
/// words, a triage state, urgency.
#[tauri::command]
#[specta::specta]
pub async fn desk_cases(
    session: State<'_, Shared>,
    search: Option<String>,
    state: Option<String>,
    urgent_only: bool,
) -> Result<Vec<DeskCaseRow>, AppError> {
    let wanted = match state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            TriageState::from_code(s).ok_or_else(|| AppError::invalid("unknown triage state"))?,
        ),
        None => None,
    };
    with_desk(&session, move |d| {
        let rows = match search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(q) => d.search_cases(q)?,
            None => d.cases()?,
        };
        let mut out = Vec::new();
        for r in rows
            .iter()
            .filter(|r| wanted.is_none_or(|s| r.state == s))
            .filter(|r| !urgent_only || r.urgent)
        {
            let mut v = row(r);
            let messages = d.messages(r.id)?;
            v.waiting_messages = count(
                messages
                    .iter()
                    .rev()
                    .take_while(|m| !m.message.from_desk)
                    .count(),
            );
            out.push(v);
        }
        Ok(out)
    })
    .await
}

/// One stored record of a received case, as the field side shows records.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskEntry<T> {
    pub id: ItemId,
    pub revision: u32,
    pub record: T,
    /// Fields about a person who did not consent to this purpose were
    /// blanked by the sender.
    pub redacted: bool,
}

/// An evidence file of a received case: its record (capture metadata
/// included) and its file in the bundle.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskEvidence {
    pub id: ItemId,
    pub record: Evidence,
    /// Its path in the bundle, when the file was sent.
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub size: u64,
    pub media_type: String,
    /// The window can show it from the store (an image, a PDF, not too
    /// large).
    pub viewable: bool,
    /// The window can play it from memory (audio or video, not too large).
    pub playable: bool,
}

/// An item left out by the sender, and why.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskWithheld {
    pub id: ItemId,
    pub kind: String,
    pub reason: String,
}

/// What changed since the version before.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskChange {
    pub id: ItemId,
    pub kind: String,
    /// `added`, `changed` or `removed`.
    pub change: String,
}

/// One version of a case, as the desk received it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskVersion {
    pub bundle_id: String,
    pub sequence: u32,
    pub purpose: String,
    pub sealed_at: String,
    pub received_at: String,
    pub supersedes: Option<String>,
    pub manifest_sha256: String,
    pub file_sha256: Option<String>,
    pub files_verified: u32,
    pub custody_verified: u32,
    pub withheld: u32,
}

/// A triage step.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskTriageStep {
    pub state: String,
    pub note: Option<String>,
    pub revision: u32,
}

/// The signing device as the desk's registry knows it now.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskSigner {
    pub key_id: String,
    pub label: Option<String>,
    /// `approved`, `revoked` or `unknown`.
    pub status: String,
    pub revoked_at: Option<String>,
    /// The key's fingerprint as six words.
    pub words: String,
}

/// A message on a case, as the desk shows it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskMessageView {
    pub id: String,
    pub from_desk: bool,
    pub kind: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    pub sent_at: String,
    /// `queued`, `sent` or `received`.
    pub status: String,
}

/// A received case read whole.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskCaseView {
    pub row: DeskCaseRow,
    pub history: Vec<DeskTriageStep>,
    pub versions: Vec<DeskVersion>,
    pub case: Option<Case>,
    pub people: Vec<DeskEntry<Person>>,
    pub testimonies: Vec<DeskEntry<Testimony>>,
    pub violations: Vec<DeskEntry<Violation>>,
    pub places: Vec<DeskEntry<Place>>,
    pub perpetrators: Vec<DeskEntry<Perpetrator>>,
    pub follow_ups: Vec<DeskEntry<FollowUp>>,
    pub detentions: Vec<DeskEntry<Detention>>,
    pub proceedings: Vec<DeskEntry<Proceeding>>,
    pub assistance: Vec<DeskEntry<Assistance>>,
    pub consents: Vec<DeskEntry<Consent>>,
    pub evidence: Vec<DeskEvidence>,
    /// Records that do not read as the model's (kind and id only).
    pub unreadable: Vec<DeskWithheld>,
    pub withheld: Vec<DeskWithheld>,
    pub changed: Vec<DeskChange>,
    pub messages: Vec<DeskMessageView>,
    pub signer: DeskSigner,
    /// The fingerprints of the age recipients the bundle was sealed to.
    pub recipients: Vec<String>,
}

fn message_view(m: &temoin_desk::DeskMessage) -> DeskMessageView {
    DeskMessageView {
        id: m.message.id.clone(),
        from_desk: m.message.from_desk,
        kind: m.message.kind.code().to_owned(),
        text: m.message.text.clone(),
        in_reply_to: m.message.in_reply_to.clone(),
        sent_at: m.message.sent_at.clone(),
        status: match m.status {
            temoin_desk::MessageStatus::Queued => "queued",
            temoin_desk::MessageStatus::Sent => "sent",
            temoin_desk::MessageStatus::Received => "received",
        }
        .into(),
    }
}

fn viewable(media_type: &str, size: u64) -> bool {
    size <= MAX_SHOWN_BYTES && (media_type.starts_with("image/") || media_type == "application/pdf")
}

fn signer(d: &Desk, key_id: &str, public_key: &str) -> Result<DeskSigner, AppError> {
    let row = d.devices()?.into_iter().find(|r| r.key_id == key_id);
    Ok(DeskSigner {
        key_id: key_id.to_owned(),
        label: row
            .as_ref()
            .map(|r| r.label.clone())
            .filter(|l| !l.is_empty()),
        status: row
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |r| r.status.clone()),
        revoked_at: row.and_then(|r| r.revoked_at),
        words: fingerprint_words(&root_fingerprint(public_key)),
    })
}

fn case_view(d: &Desk, id: ItemId) -> Result<DeskCaseView, AppError> {
    let v = d.case(id)?;
    let m = &v.manifest;
    let mut out = DeskCaseView {
        row: row(&v.row),
        history: v
            .history
            .iter()
            .map(|h| DeskTriageStep {
                state: h.state.code().to_owned(),
                note: h.note.clone(),
                revision: h.revision,
            })
            .collect(),
        versions: v
            .versions
            .iter()
            .map(|x| {
                let r = &x.received;
                DeskVersion {
                    bundle_id: r.bundle_id.clone(),
                    sequence: r.sequence.try_into().unwrap_or(u32::MAX),
                    purpose: r.purpose.clone(),
                    sealed_at: r.sealed_at.clone(),
                    received_at: r.received_at.clone(),
                    supersedes: r.supersedes.clone(),
                    manifest_sha256: r.manifest_sha256.clone(),
                    file_sha256: r.file_sha256.clone(),
                    files_verified: r.files_verified.try_into().unwrap_or(u32::MAX),
                    custody_verified: r.custody_verified.try_into().unwrap_or(u32::MAX),
                    withheld: r.withheld.try_into().unwrap_or(u32::MAX),
                }
            })
            .collect(),
        case: None,
        people: Vec::new(),
        testimonies: Vec::new(),
        violations: Vec::new(),
        places: Vec::new(),
        perpetrators: Vec::new(),
        follow_ups: Vec::new(),
        detentions: Vec::new(),
        proceedings: Vec::new(),
        assistance: Vec::new(),
        consents: Vec::new(),
        evidence: Vec::new(),
        unreadable: Vec::new(),
        withheld: m
            .withheld
            .iter()
            .map(|w| DeskWithheld {
                id: w.id,
                kind: w.kind.clone(),
                reason: w.reason.clone(),
            })
            .collect(),
        changed: v
            .changed
            .iter()
            .map(|c| DeskChange {
                id: c.id,
                kind: c.kind.clone(),
                change: c.change.to_owned(),
            })
            .collect(),
        messages: v.messages.iter().map(message_view).collect(),
        signer: signer(d, &m.device.key_id, &m.device.public_key)?,
        recipients: m.recipients.clone(),
    };
    out.row.waiting_messages = count(
        v.messages
            .iter()
            .rev()
            .take_while(|m| !m.message.from_desk)
            .count(),
    );
    fn entry<T: Record>(i: &temoin_bundle::ItemRecord) -> Option<DeskEntry<T>> {
        Some(DeskEntry {
            id: i.id,
            revision: i.revision,
            record: serde_json::from_value(i.record.clone()).ok()?,
            redacted: i.redacted,
        })
    }
    for i in &m.items {
        let ok = match i.kind.as_str() {
            "case" => serde_json::from_value::<Case>(i.record.clone())
                .ok()
                .map(|c| out.case = Some(c))
                .is_some(),
            "person" => entry(i).map(|e| out.people.push(e)).is_some(),
            "testimony" => entry(i).map(|e| out.testimonies.push(e)).is_some(),
            "violation" => entry(i).map(|e| out.violations.push(e)).is_some(),
            "place" => entry(i).map(|e| out.places.push(e)).is_some(),
            "perpetrator" => entry(i).map(|e| out.perpetrators.push(e)).is_some(),
            // The kind names a bundle writes (`Kind::name`).
            "follow-up" => entry(i).map(|e| out.follow_ups.push(e)).is_some(),
            "detention" => entry(i).map(|e| out.detentions.push(e)).is_some(),
            "proceeding" => entry(i).map(|e| out.proceedings.push(e)).is_some(),
            "assistance" => entry(i).map(|e| out.assistance.push(e)).is_some(),
            "consent" => entry(i).map(|e| out.consents.push(e)).is_some(),
            "evidence" => match serde_json::from_value::<Evidence>(i.record.clone()) {
                Ok(record) => {
                    let file = m.files.iter().find(|f| f.item == Some(i.id));
                    let media_type =
                        file.map_or_else(|| record.media_type.clone(), |f| f.media_type.clone());
                    let size = file.map_or(record.size, |f| f.size);
                    out.evidence.push(DeskEvidence {
                        id: i.id,
                        path: file.map(|f| f.path.clone()),
                        sha256: file.map(|f| f.sha256.clone()),
                        size,
                        viewable: file.is_some() && viewable(&media_type, size),
                        playable: file.is_some()
                            && size <= MAX_PLAYED_BYTES
                            && temoin_media::facts::is_audio_or_video(&media_type),
                        media_type,
                        record,
                    });
                    true
                }
                Err(_) => false,
            },
            _ => false,
        };
        if !ok {
            out.unreadable.push(DeskWithheld {
                id: i.id,
                kind: i.kind.clone(),
                reason: String::new(),
            });
        }
    }
    Ok(out)
}

/// A received case read whole: every record the defender sent, its
/// evidence with capture metadata, what was withheld and why, the versions
/// with their verification, the signing device, the triage and the
/// messages.
#[tauri::command]
#[specta::specta]
pub async fn desk_case(session: State<'_, Shared>, id: String) -> Result<DeskCaseView, AppError> {
    let id = parse_id(&id)?;
    with_desk(&session, move |d| case_view(d, id)).await
}

/// The case verified again from the store, now.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskCheck {
    /// Signature, every hash and every custody entry hold, and the signer
    /// is the device that sent it.
    pub genuine: bool,
    pub signature_valid: bool,
    pub files_verified: u32,
    pub custody_verified: u32,
    /// What did not hold, as `code: detail` lines.
    pub problems: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn desk_verify(session: State<'_, Shared>, id: String) -> Result<DeskCheck, AppError> {
    let id = parse_id(&id)?;
    with_desk(&session, move |d| {
        let r = d.verify_case(id)?;
        Ok(DeskCheck {
            genuine: r.genuine(),
            signature_valid: r.signature_valid,
            files_verified: count(r.files_verified),
            custody_verified: count(r.custody_verified),
            problems: r
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.code, p.detail))
                .collect(),
        })
    })
    .await
}

/// An evidence file as the window shows it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskFileView {
    /// What the data is now: `image/jpeg` for an image (re-encoded),
    /// `application/pdf` for a PDF.
    pub media_type: String,
    /// The bytes, base64.
    pub data: String,
}

/// One evidence file of a received case, read from the store into memory
/// (checked against its signed hash, its view recorded in the custody
/// log), if `allowed` lets it go to the window; nothing goes to a window
/// locked meanwhile. Returns its media type and bytes.
async fn read_evidence(
    session: &State<'_, Shared>,
    id: String,
    path: String,
    allowed: fn(&DeskEvidence) -> Result<(), AppError>,
) -> Result<(String, zeroize::Zeroizing<Vec<u8>>), AppError> {
    let id = parse_id(&id)?;
    let s = Arc::clone(session.inner());
    let generation = session.generation();
    with_desk(session, move |d| {
        let view = case_view(d, id)?;
        let e = view
            .evidence
            .iter()
            .find(|e| e.path.as_deref() == Some(path.as_str()))
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "the case has no such file"))?;
        allowed(e)?;
        let mut bytes =
            zeroize::Zeroizing::new(Vec::with_capacity(usize::try_from(e.size).unwrap_or(0)));
        d.read_file(id, &path, &mut *bytes)?;
        if s.generation() != generation {
            return Err(AppError::locked());
        }
        Ok((e.media_type.clone(), bytes))
    })
    .await
}

/// An evidence file of a received case, from the store into the window:
/// checked against its signed hash, its view recorded in the custody log.
/// An image is decoded by the bounded decoder and re-encoded, so the web
/// view never parses a received image; a PDF goes as it is, to pdf.js.
#[tauri::command]
#[specta::specta]
pub async fn desk_file(
    session: State<'_, Shared>,
    id: String,
    path: String,
) -> Result<DeskFileView, AppError> {
    let (media_type, bytes) = read_evidence(&session, id, path, |e| {
        if e.viewable {
            Ok(())
        } else {
            Err(AppError::invalid(
                "this file is not shown in the window: export the case to a folder to open it",
            ))
        }
    })
    .await?;
    if media_type.starts_with("image/") {
        let jpeg = zeroize::Zeroizing::new(
            temoin_media::redact::thumbnail(&bytes, MAX_SHOWN_SIDE).map_err(|_| {
                AppError::new(
                    ErrorCode::Damaged,
                    "this image cannot be decoded: export the case to examine the file",
                )
            })?,
        );
        return Ok(DeskFileView {
            media_type: "image/jpeg".into(),
            data: B64.encode(&*jpeg),
        });
    }
    Ok(DeskFileView {
        media_type,
        data: B64.encode(&*bytes),
    })
}

/// The largest recording the window plays.
const MAX_PLAYED_BYTES: u64 = 64 * 1024 * 1024;

/// A recording (audio or video) of a received case, decrypted from the
/// store into memory, checked against its signed hash and its view
/// recorded, handed to the window whole: it plays it from a `blob:` URL
/// made of these bytes, in memory. (WebKitGTK's player takes no custom URI
/// scheme, only http, https, blob and file; a file or a loopback server
/// would put the recording where others can reach it.) Nothing is written
/// to disk. The player is WebKit's GStreamer: the recording's bytes are
/// parsed by it, as any media player would, only when the officer asks.
#[tauri::command]
#[specta::specta]
pub async fn desk_media(
    session: State<'_, Shared>,
    id: String,
    path: String,
) -> Result<DeskFileView, AppError> {
    let (media_type, bytes) = read_evidence(&session, id, path, |e| {
        if !temoin_media::facts::is_audio_or_video(&e.media_type) {
            Err(AppError::invalid("this file is not a recording"))
        } else if !e.playable {
            Err(AppError::invalid(
                "this recording is too large to play in the window: export the case to play it",
            ))
        } else {
            Ok(())
        }
    })
    .await?;
    Ok(DeskFileView {
        media_type,
        data: B64.encode(&*bytes),
    })
}

/// Moves a case along new → in_review → accepted, declined or
/// needs_information → closed, with a note; recorded.
#[tauri::command]
#[specta::specta]
pub async fn desk_triage(
    session: State<'_, Shared>,
    id: String,
    state: String,
    note: Option<String>,
) -> Result<DeskCaseRow, AppError> {
    let id = parse_id(&id)?;
    let state =
        TriageState::from_code(&state).ok_or_else(|| AppError::invalid("unknown triage state"))?;
    with_desk(&session, move |d| Ok(row(&d.triage(id, state, note)?))).await
}

/// Writes a message to the device that sent a case: signed by the desk,
/// sealed to that device, queued for the next pull (sent at once if the
/// server answers).
#[tauri::command]
#[specta::specta]
pub async fn desk_message(
    session: State<'_, Shared>,
    id: String,
    kind: String,
    text: String,
    in_reply_to: Option<String>,
) -> Result<DeskMessageView, AppError> {
    let id = parse_id(&id)?;
    let kind = MessageKind::ALL
        .into_iter()
        .find(|k| k.code() == kind && *k != MessageKind::Answer)
        .ok_or_else(|| {
            AppError::invalid("a desk message is an acknowledgement, a question or news")
        })?;
    let written = with_desk(&session, move |d| {
        Ok(message_view(&d.write_message(
            id,
            kind,
            &text,
            in_reply_to.as_deref(),
        )?))
    })
    .await?;
    // Sent now if the server answers; otherwise it waits, sealed, for the
    // next pull.
    if let Ok(desk) = session.desk() {
        let mut d = desk.lock().await;
        let _ = d.exchange_messages().await;
    }
    Ok(written)
}

/// Exports a case to a new folder the officer chose: the bundle's own
/// files with `verification.json`, checked by `minisign` and `sha256sum`
/// without Témoin. Recorded in the desk's custody log.
#[tauri::command]
#[specta::specta]
pub async fn desk_export(
    session: State<'_, Shared>,
    id: String,
    folder: String,
) -> Result<u32, AppError> {
    let id = parse_id(&id)?;
    let folder = PathBuf::from(folder);
    if !folder.is_absolute() {
        return Err(AppError::invalid("choose a folder"));
    }
    with_desk(&session, move |d| {
        let r = d.export_case(id, &folder)?;
        Ok(count(r.files_verified))
    })
    .await
}

/// A device on the devices screen.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskDevice {
    pub key_id: String,
    pub label: String,
    /// `approved`, `revoked` or `unknown`.
    pub status: String,
    pub revoked_at: Option<String>,
    pub last_sequence: Option<u32>,
    /// Sequence numbers never seen below the last (lost, withheld, or on
    /// their way).
    pub gaps: Vec<u32>,
    /// When a case from it was last received.
    pub last_contact: Option<String>,
    /// Its key's fingerprint in six words, to read over the phone.
    pub words: Option<String>,
}

/// The devices screen: the devices, OMCT's root fingerprint, what the desk
/// noticed.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskDevices {
    pub devices: Vec<DeskDevice>,
    pub root_fingerprint: String,
    pub root_words: String,
    pub warnings: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn desk_devices(session: State<'_, Shared>) -> Result<DeskDevices, AppError> {
    with_desk(&session, move |d| {
        let mut last: BTreeMap<String, String> = BTreeMap::new();
        for c in d.cases()? {
            let e = last.entry(c.device_key_id.clone()).or_default();
            if c.received_at > *e {
                *e = c.received_at.clone();
            }
        }
        let (root_fingerprint, root_words) = d.root_words()?;
        Ok(DeskDevices {
            devices: d
                .devices()?
                .into_iter()
                .map(|r| DeskDevice {
                    last_contact: last.get(&r.key_id).cloned(),
                    words: r.words,
                    key_id: r.key_id,
                    label: r.label,
                    status: r.status,
                    revoked_at: r.revoked_at,
                    last_sequence: r.last_sequence.map(|s| s.try_into().unwrap_or(u32::MAX)),
                    gaps: r
                        .gaps
                        .into_iter()
                        .map(|g| g.try_into().unwrap_or(u32::MAX))
                        .collect(),
                })
                .collect(),
            root_fingerprint,
            root_words,
            warnings: d.warnings()?,
        })
    })
    .await
}

/// A QR code as rows of dark (true) and light modules.
#[derive(Clone, Debug, Serialize, Type)]
pub struct QrMatrix {
    pub size: u32,
    pub dark: Vec<bool>,
}

/// An enrollment code made from the screen.
#[derive(Clone, Debug, Serialize, Type)]
pub struct DeskCode {
    pub code: String,
    pub label: String,
    pub expires_at: String,
    pub root_fingerprint: String,
    pub root_words: String,
    pub qr: QrMatrix,
}

fn qr(text: &str) -> Result<QrMatrix, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| AppError::new(ErrorCode::Internal, "the code does not fit a QR code"))?;
    Ok(QrMatrix {
        size: count(code.width()),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    })
}

/// Issues an enrollment code for a device: one use, valid for
/// `valid_hours`.
#[tauri::command]
#[specta::specta]
pub async fn desk_enroll(
    session: State<'_, Shared>,
    label: String,
    valid_hours: u32,
) -> Result<DeskCode, AppError> {
    let label = label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 200 || label.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "the label names the organisation or person, in at most 200 characters",
        ));
    }
    let desk: DeskHandle = session.desk()?;
    session.touch();
    let issued = desk.lock().await.enroll(&label, valid_hours).await?;
    Ok(DeskCode {
        qr: qr(&issued.code)?,
        code: issued.code.clone(),
        label: issued.label.clone(),
        expires_at: issued.expires_at.clone(),
        root_fingerprint: issued.root_fingerprint.clone(),
        root_words: issued.root_words.clone(),
    })
}

/// Revokes a device: recorded at the desk first, then on the server.
#[tauri::command]
#[specta::specta]
pub async fn desk_revoke(session: State<'_, Shared>, key_id: String) -> Result<(), AppError> {
    if key_id.len() != 16 || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::invalid("a device key id is 16 hex digits"));
    }
    let desk = session.desk()?;
    session.touch();
    let mut d = desk.lock().await;
    d.revoke(&key_id).await?;
    Ok(())
}

/// One cell of the figures: victims in a country, quarter and category.
#[derive(Clone, Debug, Serialize, Type)]
pub struct StatsCell {
    pub country: String,
    pub quarter: String,
    /// `violation` or `vulnerability`.
    pub dimension: String,
    /// The vocabulary code.
    pub value: String,
    /// The count, or `null` when under 5 (shown as `<5`).
    pub victims: Option<u32>,
}

/// The figures, from people whose consent covers anonymised statistics
/// only, over the cases received and the figures sent alone (each case
/// counted once); a cell under 5 has no number.
#[tauri::command]
#[specta::specta]
pub async fn desk_stats(session: State<'_, Shared>) -> Result<Vec<StatsCell>, AppError> {
    with_desk(&session, move |d| {
        let cells = d.stats_cells()?;
        Ok(cells
            .iter()
            .map(|(c, v)| StatsCell {
                country: c.country.clone(),
                quarter: c.quarter.clone(),
                dimension: c.dimension.to_owned(),
                value: c.value.clone(),
                victims: (v.len() >= temoin_vault::stats::SMALLEST_SHOWN).then(|| count(v.len())),
            })
            .collect())
    })
    .await
}

/// Writes the figures as CSV (the layout of `desk stats`) to a file the
/// officer chose.
#[tauri::command]
#[specta::specta]
pub async fn desk_stats_export(session: State<'_, Shared>, path: String) -> Result<(), AppError> {
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(AppError::invalid("choose where to save the file"));
    }
    with_desk(&session, move |d| {
        let text = temoin_vault::stats::csv(&d.stats_cells()?);
        // A new file, the officer's alone; never one that exists (or a
        // link planted where the file is to go).
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let written = o.open(&path).and_then(|mut f| {
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()
        });
        written.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                AppError::invalid("a file of that name exists: choose a new name")
            } else {
                AppError::new(
                    ErrorCode::Io,
                    format!("could not write the file: {}", e.kind()),
                )
            }
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrollment_code_makes_a_square_qr_code() {
        let code = "temoin1:".to_owned() + &"a".repeat(400);
        let m = qr(&code).expect("a code fits");
        assert!(m.size >= 21, "size {}", m.size);
        assert_eq!(m.dark.len(), (m.size * m.size) as usize);
        // Finder pattern: the top-left corner module is dark, the one
        // inside its white ring light.
        assert!(m.dark[0]);
        assert!(!m.dark[(m.size + 1) as usize]);
        // Another text, another code.
        assert_ne!(qr("temoin1:b").expect("fits").dark, m.dark);
    }

    #[test]
    fn desk_errors_reach_the_window_with_a_code_it_can_act_on() {
        let code = |m: &str| AppError::from(DeskError::Local(m.into())).code;
        assert_eq!(
            code("wrong passphrase for this desk"),
            ErrorCode::WrongPassphrase
        );
        assert_eq!(
            code("the desk has no received case 123: see `desk cases`"),
            ErrorCode::NotFound
        );
        assert_eq!(
            code(
                "received bundle 1 in the desk's store is damaged: restore the store from a backup"
            ),
            ErrorCode::Damaged
        );
        assert_eq!(
            code("the desk is open in another Témoin command or window; wait for it to finish"),
            ErrorCode::Busy
        );
        assert_eq!(
            code("a case that is new cannot become closed"),
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn only_images_and_pdfs_of_a_bounded_size_go_to_the_window() {
        assert!(viewable("image/jpeg", 1000));
        assert!(viewable("application/pdf", MAX_SHOWN_BYTES));
        assert!(!viewable("image/jpeg", MAX_SHOWN_BYTES + 1));
        assert!(!viewable("audio/wav", 1000));
        assert!(!viewable("text/html", 10));
    }
}

/// Drafts a document from a received case into a folder the officer chose,
/// as the device does; a complaint's or a request's annexes, and nothing
/// else of the case, go into a new folder beside it as numbered files, each
/// checked and recorded in the desk's custody log.
#[tauri::command]
#[specta::specta]
pub async fn desk_dossier(
    session: State<'_, Shared>,
    id: String,
    kind: super::dossier::DossierKind,
    language: String,
    folder: String,
) -> Result<super::dossier::DossierResult, AppError> {
    let id = parse_id(&id)?;
    let lang = super::dossier::language(&language)?;
    let folder = super::dossier::folder(&folder)?;
    with_desk(&session, move |d| {
        let file = d.case_file(id)?;
        let doc = temoin_dossier::draft(kind.into(), &file, lang).map_err(|e| match e {
            temoin_dossier::DossierError::NoConsent { .. } => {
                AppError::new(ErrorCode::Consent, e.to_string())
            }
            other => AppError::invalid(other.to_string()),
        })?;
        let mut annexes_folder = None;
        if !doc.annexes.is_empty() {
            let dir = folder.join(format!("temoin-annexes-{}", ItemId::random()));
            d.export_annexes(id, &doc.annexes, &dir)?;
            annexes_folder = Some(dir);
        }
        let (path, pdf_path) =
            super::dossier::write_documents(&doc, &folder).inspect_err(|_| {
                // No annexes without their document.
                if let Some(dir) = &annexes_folder {
                    let _ = std::fs::remove_dir_all(dir);
                }
            })?;
        let annexes_folder = annexes_folder.map(|d| d.display().to_string());
        Ok(super::dossier::DossierResult {
            path: path.display().to_string(),
            pdf_path: pdf_path.display().to_string(),
            annexes_folder,
            annexes: u32::try_from(doc.annexes.len()).unwrap_or(u32::MAX),
            notes: doc.notes.clone(),
        })
    })
    .await
}
