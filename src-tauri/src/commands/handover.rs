//! Handover: the outbox, submitting, exporting, the device, enrollment
//! and the proxy.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;
use temoin_bundle::{PayloadRecipient, Purpose};
use temoin_sync::client::{self};
use temoin_sync::outbox::{self, OutboxError, Submission};
use temoin_vault::export::ExportOptions;
use temoin_vault::{ItemId, Vault};

use crate::error::{AppError, ErrorCode};
use crate::events::OutboxChanged;

use super::*;
use crate::session::{blocking, Shared};

#[derive(Clone, Debug, Serialize, Type)]
pub struct ReceiptView {
    pub received_at: String,
    pub sha256: String,
    pub server: String,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct OutboxRow {
    pub bundle_id: String,
    pub case_id: ItemId,
    pub status: DeliveryState,
    pub percent: u32,
    pub size: u64,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub receipt: Option<ReceiptView>,
    /// OMCT's desk's acknowledgement, once it came.
    pub acknowledgement: Option<AcknowledgementView>,
    /// An urgent case's text, sent ahead of its files (which follow in the
    /// case's next bundle).
    pub text_only: bool,
    /// Figures for OMCT's statistics (`temoin submit --stats`), no case's:
    /// `case_id` is the figures' own id.
    pub figures: bool,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct AcknowledgementView {
    /// Whether the desk accepted it (false: it flagged it).
    pub accepted: bool,
    /// Why it was flagged.
    pub reasons: Vec<String>,
    /// When the desk signed it (RFC 3339).
    pub acknowledged_at: String,
}

fn row_of(s: &Submission, server: &str) -> OutboxRow {
    let receipt = s.receipt.as_deref().and_then(|signed| {
        let r = client::read_receipt(signed)?;
        Some(ReceiptView {
            received_at: r.received_at,
            sha256: r.sha256,
            server: server.to_owned(),
        })
    });
    OutboxRow {
        bundle_id: s.bundle_id.clone(),
        case_id: s.case_id,
        status: s.status.into(),
        percent: if s.status.delivered() {
            100
        } else {
            (s.progress.offset.min(s.size) * 100)
                .checked_div(s.size)
                .unwrap_or(0) as u32
        },
        size: s.size,
        attempts: s.attempts,
        next_attempt_at: s.next_attempt_at,
        last_error: s.last_error.clone(),
        receipt,
        acknowledgement: s.acknowledgement.as_ref().map(|a| AcknowledgementView {
            accepted: a.verdict == temoin_proto::ack::Verdict::Accepted,
            reasons: a.reasons.clone(),
            acknowledged_at: a.acknowledged_at.clone(),
        }),
        text_only: s.text_only,
        figures: s.figures,
    }
}

#[tauri::command]
#[specta::specta]
pub async fn outbox_list(session: State<'_, Shared>) -> Result<Vec<OutboxRow>, AppError> {
    blocking(&session, |s| {
        s.read(|v| {
            let server = outbox::enrollment(v)?
                .map(|e| e.endpoint.url)
                .unwrap_or_default();
            Ok(outbox::list(v)?
                .iter()
                .map(|sub| row_of(sub, &server))
                .collect())
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn case_submit(
    app: AppHandle,
    session: State<'_, Shared>,
    case_id: String,
) -> Result<String, AppError> {
    let case_id = parse_id(&case_id)?;
    session.touch();
    let id = blocking(&session, move |s| {
        s.write(|v| Ok(outbox::submit(v, case_id)?.bundle_id))
    })
    .await?;
    let _ = OutboxChanged {}.emit(&app);
    crate::background::wake_outbox(&app);
    Ok(id)
}

#[tauri::command]
#[specta::specta]
pub async fn outbox_retry(
    app: AppHandle,
    session: State<'_, Shared>,
    bundle_id: String,
) -> Result<(), AppError> {
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| Ok(outbox::retry(v, &bundle_id)?))
    })
    .await?;
    let _ = OutboxChanged {}.emit(&app);
    crate::background::wake_outbox(&app);
    Ok(())
}

/// What an exported bundle is for, as the person chose it; only what
/// consent covers for it goes in.
#[derive(Clone, Copy, Debug, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportPurpose {
    /// For OMCT's files: the originals, with their capture metadata.
    ShareWithOmct,
    /// For legal proceedings: the originals, with their hashes.
    Litigation,
    /// For publication: working copies only, no original, nothing that
    /// locates; an original without a working copy is left out.
    Publication,
}

impl From<ExportPurpose> for Purpose {
    fn from(p: ExportPurpose) -> Self {
        match p {
            ExportPurpose::ShareWithOmct => Purpose::ShareWithOmct,
            ExportPurpose::Litigation => Purpose::Litigation,
            ExportPurpose::Publication => Purpose::Publication,
        }
    }
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct ExportResult {
    pub path: String,
    /// What was left out (for want of consent, or, in a publication, an
    /// original), as `kind: reason` lines.
    pub withheld: Vec<String>,
}

/// Seals the case into a bundle for `purpose`, to OMCT's keys, in a new
/// file in `folder`.
#[tauri::command]
#[specta::specta]
pub async fn case_export(
    session: State<'_, Shared>,
    case_id: String,
    folder: String,
    purpose: ExportPurpose,
) -> Result<ExportResult, AppError> {
    let case_id = parse_id(&case_id)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            // The same check as the outbox's: OMCT's keys as the code named
            // them, or nothing is sealed.
            let e = outbox::checked_enrollment(v).map_err(|e| match e {
                OutboxError::NotEnrolled => AppError::new(
                    ErrorCode::NotEnrolled,
                    "a bundle is sealed to OMCT's keys, which come with enrollment: enroll in \
                     Settings first",
                ),
                other => other.into(),
            })?;
            let recipients: Vec<PayloadRecipient> = e
                .recipients
                .iter()
                .map(|r| r.parse())
                .collect::<Result<_, _>>()
                .map_err(|_| AppError::new(ErrorCode::Damaged, "the stored recipient list"))?;
            let folder = PathBuf::from(folder);
            if !folder.is_dir() {
                return Err(AppError::invalid("the chosen folder does not exist"));
            }
            // A neutral name: nothing about the case on the stick's label.
            let name = format!("temoin-{}.tar.age", ItemId::random());
            let path = folder.join(name);
            let summary = v.export_bundle_to_file(
                case_id,
                &ExportOptions {
                    purpose: purpose.into(),
                    recipients,
                    supersedes: None,
                    part: None,
                },
                &path,
            )?;
            Ok(ExportResult {
                path: path.display().to_string(),
                withheld: summary
                    .manifest
                    .withheld
                    .iter()
                    .map(|w| format!("{}: {}", w.kind, w.reason))
                    .collect(),
            })
        })
    })
    .await
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct DeviceInfo {
    pub key_id: String,
    pub enrolled: bool,
    pub server: Option<String>,
    pub proxy: Option<String>,
}

fn device_info_of(v: &Vault) -> Result<DeviceInfo, AppError> {
    let e = outbox::enrollment(v)?;
    Ok(DeviceInfo {
        key_id: v.device_public_key().id_hex(),
        enrolled: e.is_some(),
        server: e.as_ref().map(|e| e.endpoint.url.clone()),
        proxy: e.and_then(|e| e.endpoint.proxy),
    })
}

#[tauri::command]
#[specta::specta]
pub async fn device_info(session: State<'_, Shared>) -> Result<DeviceInfo, AppError> {
    blocking(&session, |s| s.read(device_info_of)).await
}

#[tauri::command]
#[specta::specta]
pub async fn enroll(
    app: AppHandle,
    session: State<'_, Shared>,
    code: String,
    proxy: Option<String>,
) -> Result<DeviceInfo, AppError> {
    session.touch();
    let proxy = proxy.filter(|p| !p.trim().is_empty());
    session.enroll(&code, proxy.as_deref()).await?;
    let info = session.read(device_info_of)?;
    crate::background::wake_outbox(&app);
    Ok(info)
}

#[tauri::command]
#[specta::specta]
pub async fn set_proxy(session: State<'_, Shared>, proxy: Option<String>) -> Result<(), AppError> {
    let proxy = proxy.filter(|p| !p.trim().is_empty());
    client::check_proxy(proxy.as_deref())?;
    blocking(&session, move |s| {
        s.write(|v| {
            let mut e = outbox::enrollment(v)?.ok_or_else(|| {
                AppError::new(ErrorCode::NotEnrolled, "enroll first, then set a proxy")
            })?;
            e.endpoint.proxy = proxy;
            outbox::save_enrollment(v, &e)?;
            Ok(())
        })
    })
    .await
}
