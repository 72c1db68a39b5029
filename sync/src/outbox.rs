//! The outbox: submissions waiting to reach OMCT, kept in the vault.
//!
//! `submit` seals a case into a bundle for OMCT's current recipients and
//! queues it; `run_once` tries every submission that is due, in order:
//! text-only bundles before those with media, then smaller before larger,
//! then older first. Each moves queued → uploading → delivered (with a
//! verified receipt, recorded in the custody log) or failed (with a reason
//! a person can act on). Transient failures retry with exponential
//! back-off and jitter; a restart resumes each upload where the server
//! says it stands. A case amended after delivery is sent again as a new
//! bundle that names the one it replaces.
//!
//! State: each submission is a JSON value in the vault's sealed state
//! under `outbox/<bundle id>`; the bundle file (ciphertext to OMCT) is in
//! the vault's `outbox/` folder until it is delivered. Enrollment is under
//! `enrollment`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use temoin_bundle::{PayloadRecipient, Purpose, Supersedes};
use temoin_vault::custody::BundleNote;
use temoin_vault::export::ExportOptions;
use temoin_vault::{ForgetError, ItemId, Vault, VaultError};

use crate::client::{self, Enrollment, SyncError, UploadProgress};

/// The vault state key of the enrollment.
pub const ENROLLMENT: &str = "enrollment";
const PREFIX: &str = "outbox/";

/// Where a submission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its turn or for the network.
    Queued,
    /// Partly sent.
    Uploading,
    /// OMCT's server holds it and signed a receipt.
    Delivered,
    /// Stopped for a reason a person must act on.
    Failed,
}

/// One submission.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Submission {
    /// The bundle's id.
    pub bundle_id: String,
    /// The case.
    pub case_id: ItemId,
    /// The bundle's sequence number.
    pub sequence: u64,
    /// SHA-256 of its manifest.
    pub manifest_sha256: String,
    /// SHA-256 of the ciphertext (what the server must confirm).
    pub sha256: String,
    /// Size of the ciphertext.
    pub size: u64,
    /// Whether it holds evidence files (media go after text).
    pub has_media: bool,
    /// The recipients' fingerprints.
    pub recipients: Vec<String>,
    /// Where it stands.
    pub status: Status,
    /// The upload's progress.
    pub progress: UploadProgress,
    /// Attempts made.
    pub attempts: u32,
    /// Unix time before which it is not tried again.
    pub next_attempt_at: i64,
    /// Why the last attempt failed, in words.
    pub last_error: Option<String>,
    /// The verified receipt, once delivered.
    pub receipt: Option<String>,
    /// When it was queued (Unix time).
    pub queued_at: i64,
    /// The bundle it replaces, if any.
    pub supersedes: Option<Supersedes>,
}

/// Why the outbox could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The vault refused.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The case cannot be exported (no consent covers handing it over).
    #[error(transparent)]
    Export(#[from] temoin_vault::ExportError),
    /// Not enrolled yet.
    #[error("this device is not enrolled with OMCT's server yet: run `temoin enroll` first")]
    NotEnrolled,
    /// Enrolled before enrollment codes: OMCT's root key was taken on the
    /// server's word and never checked.
    #[error("this device was enrolled without an enrollment code, so OMCT's key was never checked: ask OMCT for an enrollment code and enroll again (`temoin enroll --code`); nothing is sent until then")]
    EnrollAgain,
    /// A stored value is malformed.
    #[error("the outbox's stored state is damaged ({0})")]
    Damaged(String),
    /// The network side.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The vault was locked while the outbox worked; it resumes at the next
    /// unlock.
    #[error("the vault was locked; the outbox resumes when it is unlocked")]
    Locked,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Stores the enrollment.
pub fn save_enrollment(vault: &mut Vault, e: &Enrollment) -> Result<(), OutboxError> {
    let bytes = serde_json::to_vec(e).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    Ok(vault.put_state(ENROLLMENT, &bytes)?)
}

/// The stored enrollment, if the device enrolled.
pub fn enrollment(vault: &Vault) -> Result<Option<Enrollment>, OutboxError> {
    match vault.get_state(ENROLLMENT)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|_| OutboxError::Damaged("enrollment".into())),
    }
}

/// The stored enrollment, for sealing or sending: refused if the device
/// is not enrolled, or enrolled without a code.
pub fn checked_enrollment(vault: &Vault) -> Result<Enrollment, OutboxError> {
    let e = enrollment(vault)?.ok_or(OutboxError::NotEnrolled)?;
    if e.root_fingerprint.is_none() {
        return Err(OutboxError::EnrollAgain);
    }
    Ok(e)
}

/// Every submission, in the order they are tried.
pub fn list(vault: &Vault) -> Result<Vec<Submission>, OutboxError> {
    let mut out = Vec::new();
    for key in vault.state_keys(PREFIX)? {
        let bytes = vault
            .get_state(&key)?
            .ok_or_else(|| OutboxError::Damaged(key.clone()))?;
        out.push(
            serde_json::from_slice::<Submission>(&bytes)
                .map_err(|_| OutboxError::Damaged(key.clone()))?,
        );
    }
    out.sort_by_key(|s| (s.has_media, s.size, s.queued_at));
    Ok(out)
}

fn save(vault: &mut Vault, s: &Submission) -> Result<(), OutboxError> {
    let bytes = serde_json::to_vec(s).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    Ok(vault.put_state(&format!("{PREFIX}{}", s.bundle_id), &bytes)?)
}

fn bundle_path(vault: &Vault, bundle_id: &str) -> Result<PathBuf, OutboxError> {
    Ok(vault.outbox_dir()?.join(format!("{bundle_id}.tar.age")))
}

/// Seals `case` for OMCT's current recipients and queues it. If an earlier
/// bundle of the case was delivered, the new one names it as replaced.
pub fn submit(vault: &mut Vault, case: ItemId) -> Result<Submission, OutboxError> {
    let e = checked_enrollment(vault)?;
    let recipients: Vec<PayloadRecipient> = e
        .recipients
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()
        .map_err(|_| OutboxError::Damaged("recipient list".into()))?;
    let earlier = list(vault)?
        .into_iter()
        .filter(|s| s.case_id == case && s.status == Status::Delivered)
        .max_by_key(|s| s.sequence)
        .map(|s| Supersedes {
            bundle_id: s.bundle_id,
            sequence: s.sequence,
            manifest_sha256: s.manifest_sha256,
        });
    let tmp_id = uuid::Uuid::new_v4().to_string();
    let tmp = bundle_path(vault, &format!("new-{tmp_id}"))?;
    let summary = vault.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose: Purpose::ShareWithOmct,
            recipients,
            supersedes: earlier.clone(),
        },
        &tmp,
    )?;
    let m = &summary.manifest;
    let path = bundle_path(vault, &m.bundle_id)?;
    std::fs::rename(&tmp, &path).map_err(VaultError::from)?;
    std::fs::File::open(vault.outbox_dir()?)
        .and_then(|d| d.sync_all())
        .map_err(VaultError::from)?;
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::fs::File::open(&path).map_err(VaultError::from)?,
        &mut hasher,
    )
    .map_err(VaultError::from)?;
    let s = Submission {
        bundle_id: m.bundle_id.clone(),
        case_id: case,
        sequence: m.sequence,
        manifest_sha256: summary.manifest_sha256.clone(),
        sha256: hex::encode(hasher.finalize()),
        size: summary.bytes,
        has_media: m.files.iter().any(|f| f.item.is_some()),
        recipients: m.recipients.clone(),
        status: Status::Queued,
        progress: UploadProgress::default(),
        attempts: 0,
        next_attempt_at: 0,
        last_error: None,
        receipt: None,
        queued_at: now(),
        supersedes: earlier,
    };
    save(vault, &s)?;
    Ok(s)
}

/// The wait before retry `attempts` (1, 2, ...): 30 s doubling up to an
/// hour, each with up to half again of random jitter so that many devices
/// coming back online do not all knock at once.
pub fn backoff_seconds(attempts: u32) -> i64 {
    use rand::Rng;
    let base = 30i64
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(7))
        .min(3600);
    base + rand::thread_rng().gen_range(0..=base / 2)
}

/// What one run did.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Delivered in this run.
    pub delivered: Vec<String>,
    /// Failed in this run, with reasons.
    pub failed: Vec<(String, String)>,
    /// Left for later (not due, or a transient failure).
    pub waiting: usize,
}

/// A vault that others share while the outbox works (the app's session,
/// which the person keeps using during an upload). The outbox holds it only
/// for the moments it reads or writes state, never across the network.
pub trait VaultAccess: Sync {
    /// Runs `f` with the vault, or fails with [`OutboxError::Locked`] when
    /// the vault is no longer open.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError>;
}

impl VaultAccess for std::sync::Mutex<&mut Vault> {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        let mut guard = self.lock().map_err(|_| OutboxError::Locked)?;
        f(&mut guard)
    }
}

/// Refreshes OMCT's recipient list, then tries every submission that is
/// due. `force` ignores back-off.
pub async fn run_once(vault: &mut Vault, force: bool) -> Result<RunReport, OutboxError> {
    run_shared(&std::sync::Mutex::new(vault), force).await
}

/// [`run_once`] on a shared vault: the vault is taken for each state change
/// and released during network waits.
pub async fn run_shared<A: VaultAccess>(access: &A, force: bool) -> Result<RunReport, OutboxError> {
    run_watched(access, force, &|| {}).await
}

/// [`run_shared`], calling `on_change` after every stored change.
pub async fn run_watched<A: VaultAccess>(
    access: &A,
    force: bool,
    on_change: &(dyn Fn() + Sync),
) -> Result<RunReport, OutboxError> {
    let mut e = access.with(|v| checked_enrollment(v))?;
    // OMCT may have rotated its keys: take the current list when the server
    // can be reached and the list verifies with the root key; otherwise
    // keep the one stored. Bundles already sealed stay as they are (OMCT
    // keeps its old keys to open them).
    if let Ok((current, issued_at)) = client::fetch_recipients(&e).await {
        if client::newer_list(&issued_at, e.recipients_issued_at.as_deref()) {
            e.recipients = current;
            e.recipients_issued_at = Some(issued_at);
            access.with(|v| save_enrollment(v, &e))?;
        }
    }
    let (device, queue) = access.with(|v| Ok((v.device_public_key().id_hex(), list(v)?)))?;
    let mut report = RunReport::default();
    for mut s in queue {
        if matches!(s.status, Status::Delivered | Status::Failed) {
            continue;
        }
        if !force && s.next_attempt_at > now() {
            report.waiting += 1;
            continue;
        }
        s.attempts += 1;
        s.status = Status::Uploading;
        let path = access.with(|v| {
            save(v, &s)?;
            bundle_path(v, &s.bundle_id)
        })?;
        on_change();
        let mut progress = s.progress.clone();
        // Each confirmed chunk is stored at once, so a device that dies
        // mid-upload resumes from there.
        let mut stored = s.clone();
        let mut on_progress = |p: &UploadProgress| {
            stored.progress = p.clone();
            let _ = access.with(|v| save(v, &stored));
            on_change();
        };
        let result = client::upload(
            &e,
            &s.bundle_id,
            &device,
            &path,
            &s.sha256,
            &mut progress,
            &mut on_progress,
        )
        .await;
        s.progress = progress;
        match result {
            Ok(delivery) => {
                access.with(|v| {
                    v.record_delivery(
                        s.case_id,
                        BundleNote {
                            id: s.bundle_id.clone(),
                            sequence: s.sequence,
                            purpose: Purpose::ShareWithOmct.code().to_owned(),
                            recipients: s.recipients.clone(),
                        },
                        &s.sha256,
                        &delivery.signed,
                    )?;
                    s.status = Status::Delivered;
                    s.receipt = Some(delivery.signed.clone());
                    s.last_error = None;
                    save(v, &s)?;
                    // Deliver and forget, when the person chose it: the
                    // receipt is in the custody log and in this record; the
                    // case goes unless it changed since it was sealed.
                    if v.forget_after_delivery()? {
                        match v.forget_delivered(s.case_id) {
                            Ok(_) | Err(ForgetError::NotDelivered) => {}
                            Err(ForgetError::Vault(e)) => return Err(e.into()),
                            Err(e) => return Err(OutboxError::Damaged(e.to_string())),
                        }
                    }
                    Ok(())
                })?;
                // Sent and acknowledged: the local copy of the ciphertext
                // is no longer needed.
                let _ = std::fs::remove_file(&path);
                report.delivered.push(s.bundle_id.clone());
            }
            Err(SyncError::Transient(why)) => {
                s.status = Status::Queued;
                s.next_attempt_at = now() + backoff_seconds(s.attempts);
                s.last_error = Some(why);
                access.with(|v| save(v, &s))?;
                report.waiting += 1;
            }
            Err(other) => {
                s.status = Status::Failed;
                s.last_error = Some(other.to_string());
                access.with(|v| save(v, &s))?;
                report.failed.push((s.bundle_id.clone(), other.to_string()));
            }
        }
        on_change();
    }
    Ok(report)
}

/// Puts a failed submission back in the queue (after the person fixed the
/// cause, for example by enrolling again).
pub fn retry(vault: &mut Vault, bundle_id: &str) -> Result<(), OutboxError> {
    let key = format!("{PREFIX}{bundle_id}");
    let bytes = vault
        .get_state(&key)?
        .ok_or_else(|| OutboxError::Damaged(format!("no submission {bundle_id}")))?;
    let mut s: Submission =
        serde_json::from_slice(&bytes).map_err(|_| OutboxError::Damaged(key.clone()))?;
    if s.status == Status::Failed {
        s.status = Status::Queued;
        s.next_attempt_at = 0;
        save(vault, &s)?;
    }
    Ok(())
}
