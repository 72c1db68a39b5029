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
use temoin_bundle::{Part, PayloadIdentity, PayloadRecipient, Purpose, Supersedes};
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
    /// OMCT's server holds it and signed a receipt; the desk has not
    /// acknowledged it yet.
    Delivered,
    /// OMCT's desk opened and verified it and signed an acknowledgement:
    /// received by OMCT.
    Acknowledged,
    /// OMCT's desk received it and refused it (`flag_reason` says why).
    Flagged,
    /// Stopped for a reason a person must act on.
    Failed,
}

impl Status {
    /// Whether the server took it (whatever the desk said since).
    pub fn delivered(self) -> bool {
        matches!(
            self,
            Status::Delivered | Status::Acknowledged | Status::Flagged
        )
    }
}

/// The desk's acknowledgement as a device keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Acknowledgement {
    /// `accepted` or `flagged`.
    pub verdict: temoin_proto::ack::Verdict,
    /// Why it was flagged.
    pub reasons: Vec<String>,
    /// When the desk signed it (RFC 3339).
    pub acknowledged_at: String,
    /// The signed acknowledgement as received (JSON of `list` and
    /// `signature`).
    pub signed: String,
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
    /// The case was marked urgent when it was sealed: it goes before every
    /// other bundle, and an upload under way pauses for it.
    #[serde(default)]
    pub urgent: bool,
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
    /// OMCT's desk's verified acknowledgement, once it came.
    #[serde(default)]
    pub acknowledgement: Option<Acknowledgement>,
    /// An urgent case's records without its files, sent ahead of them
    /// (`temoin-bundle/3`, part `text`): its delivery is not the case's.
    #[serde(default)]
    pub text_only: bool,
    /// For the bundle with an urgent case's files: the id of its text,
    /// sealed just before and sent ahead (this bundle names it in
    /// `supersedes`).
    #[serde(default)]
    pub text_ahead: Option<String>,
    /// A bundle of figures (`anonymised_statistics`), no case's: its
    /// `case_id` is the figures' own id.
    #[serde(default)]
    pub figures: bool,
    /// Why the desk refused it, when it did.
    #[serde(default)]
    pub flag_reason: Option<String>,
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
    /// A code naming another OMCT key than the one this device enrolled
    /// with.
    #[error("this device is already enrolled with OMCT, and this code names another OMCT key: it may come from someone pretending to be OMCT. Nothing was changed; check with OMCT another way")]
    OtherRootKey,
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

/// Stores a new enrollment, made by enrolling (again). Under the same
/// OMCT root key, what the device learned from OMCT's lists stays when it
/// is newer than what this enrollment's server handed out: a server
/// restored from an old backup, or taken over, that has the device enroll
/// again cannot roll it back to recipients or receipt keys OMCT retired.
pub fn save_new_enrollment(vault: &mut Vault, e: &Enrollment) -> Result<(), OutboxError> {
    let mut e = e.clone();
    if let (Some(mut lists), Some(issued_at)) = (enrollment(vault)?, e.recipients_issued_at.clone())
    {
        if lists.root_key == e.root_key {
            // What the device learned, then the new server's list over it,
            // as a sync takes a list.
            lists.take_list(client::VerifiedList {
                recipients: e.recipients.clone(),
                issued_at,
                desk_key: e.desk_key.clone(),
                receipt_keys: e.receipt_keys.clone(),
            });
            e.recipients = lists.recipients;
            e.recipients_issued_at = lists.recipients_issued_at;
            e.desk_key = lists.desk_key;
            e.receipt_keys = lists.receipt_keys;
        }
    }
    save_enrollment(vault, &e)
}

/// Stores the enrollment as it is.
pub fn save_enrollment(vault: &mut Vault, e: &Enrollment) -> Result<(), OutboxError> {
    let bytes = serde_json::to_vec(e).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    Ok(vault.put_state(ENROLLMENT, &bytes)?)
}

/// Where the device's own age identity is kept: the desk seals what it
/// sends back to this device (messages, requests for consent) to its
/// recipient, which the device gives at enrollment bound by its proof.
const DEVICE_IDENTITY: &str = "device-identity";

/// The device's age recipient for what the desk sends it, made and sealed
/// in the vault the first time it is asked for.
pub fn device_recipient(vault: &mut Vault) -> Result<String, OutboxError> {
    if let Some(identity) = device_identity(vault)? {
        return Ok(identity.recipient().to_string());
    }
    let identity = PayloadIdentity::generate();
    vault.put_state(DEVICE_IDENTITY, identity.secret_for_sealing().as_bytes())?;
    Ok(identity.recipient().to_string())
}

/// The device's age identity, once [`device_recipient`] made it.
pub fn device_identity(vault: &Vault) -> Result<Option<PayloadIdentity>, OutboxError> {
    match vault.get_state(DEVICE_IDENTITY)? {
        None => Ok(None),
        Some(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| PayloadIdentity::from_secret(s).ok())
            .map(Some)
            .ok_or_else(|| OutboxError::Damaged("the device's own age key".into())),
    }
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

/// Whether `code` may enroll this device: refused when the device is
/// already enrolled (with a code) under another OMCT root key, so that a
/// code slipped to a defender cannot move the device to someone else's
/// keys.
pub fn check_code_for(
    vault: &Vault,
    code: &temoin_proto::code::EnrollmentCode,
) -> Result<(), OutboxError> {
    match enrollment(vault)?.and_then(|e| e.root_fingerprint) {
        Some(fp) if fp != hex::encode(code.root_fingerprint) => Err(OutboxError::OtherRootKey),
        _ => Ok(()),
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
    out.sort_by_key(|s| (!s.urgent, s.has_media, s.size, s.queued_at));
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
///
/// An urgent case with evidence files goes as two bundles: first its
/// records alone (part `text`), which the queue sends before anything else,
/// then the whole case, files included, naming the first as the one it
/// replaces. OMCT reads the account while the files are on their way.
/// Returns the submission of the whole case.
pub fn submit(vault: &mut Vault, case: ItemId) -> Result<Submission, OutboxError> {
    let recipients = enrolled_recipients(vault)?;
    let earlier = list(vault)?
        .into_iter()
        .filter(|s| s.case_id == case && s.status.delivered())
        .max_by_key(|s| s.sequence)
        .map(|s| Supersedes {
            bundle_id: s.bundle_id,
            sequence: s.sequence,
            manifest_sha256: s.manifest_sha256,
        });
    let urgent = vault
        .get::<temoin_vault::case::Case>(case)?
        .is_some_and(|c| c.record.urgent);
    if urgent && vault.bundle_carries_files(case, Purpose::ShareWithOmct)? {
        // Both sealed before either is queued, the whole case first: the
        // text must never go alone (the files would never follow, and the
        // case would look received). If the whole cannot be sealed (no
        // room, a damaged file), the text goes too; after a crash between
        // the two saves, the whole goes without its text ahead.
        let text = seal(vault, case, &recipients, earlier, Some(Part::Text), urgent)?;
        let named = Supersedes {
            bundle_id: text.bundle_id.clone(),
            sequence: text.sequence,
            manifest_sha256: text.manifest_sha256.clone(),
        };
        let mut whole = match seal(vault, case, &recipients, Some(named), None, urgent) {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(bundle_path(vault, &text.bundle_id)?);
                return Err(e);
            }
        };
        whole.text_ahead = Some(text.bundle_id.clone());
        save(vault, &whole)?;
        save(vault, &text)?;
        return Ok(whole);
    }
    let s = seal(vault, case, &recipients, earlier, None, urgent)?;
    save(vault, &s)?;
    Ok(s)
}

/// OMCT's recipients, as the device enrolled with them.
fn enrolled_recipients(vault: &Vault) -> Result<Vec<PayloadRecipient>, OutboxError> {
    checked_enrollment(vault)?
        .recipients
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()
        .map_err(|_| OutboxError::Damaged("recipient list".into()))
}

/// Seals a bundle with `export` into the outbox's folder: written under a
/// temporary name, renamed to its id once whole, the folder synced; returns
/// what the export said and the SHA-256 of the file (what the server must
/// confirm).
fn seal_into_outbox(
    vault: &mut Vault,
    export: impl FnOnce(
        &mut Vault,
        &std::path::Path,
    ) -> Result<temoin_vault::export::ExportSummary, temoin_vault::ExportError>,
) -> Result<(temoin_vault::export::ExportSummary, String), OutboxError> {
    let tmp = bundle_path(vault, &format!("new-{}", uuid::Uuid::new_v4()))?;
    let summary = export(vault, &tmp)?;
    let path = bundle_path(vault, &summary.manifest.bundle_id)?;
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
    Ok((summary, hex::encode(hasher.finalize())))
}

/// Seals one bundle of `case` into the outbox's folder; the caller queues
/// it ([`save`]).
fn seal(
    vault: &mut Vault,
    case: ItemId,
    recipients: &[PayloadRecipient],
    supersedes: Option<Supersedes>,
    part: Option<Part>,
    urgent: bool,
) -> Result<Submission, OutboxError> {
    let (summary, sha256) = seal_into_outbox(vault, |v, tmp| {
        v.export_bundle_to_file(
            case,
            &ExportOptions {
                purpose: Purpose::ShareWithOmct,
                recipients: recipients.to_vec(),
                supersedes: supersedes.clone(),
                part,
            },
            tmp,
        )
    })?;
    let m = &summary.manifest;
    let s = Submission {
        urgent,
        bundle_id: m.bundle_id.clone(),
        case_id: case,
        sequence: m.sequence,
        manifest_sha256: summary.manifest_sha256.clone(),
        sha256,
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
        supersedes,
        acknowledgement: None,
        flag_reason: None,
        text_only: part == Some(Part::Text),
        text_ahead: None,
        figures: false,
    };
    Ok(s)
}

/// Seals the vault's figures for OMCT's statistics (each case's cells over
/// the people whose consent covers anonymised statistics; no record, no
/// file) and queues them like a case. They replace, at OMCT's desk, the
/// figures this device sent before.
pub fn submit_figures(vault: &mut Vault) -> Result<Submission, OutboxError> {
    let recipients = enrolled_recipients(vault)?;
    let (summary, sha256) = seal_into_outbox(vault, |v, tmp| {
        v.export_figures_to_file(&temoin_vault::export::FiguresOptions { recipients }, tmp)
    })?;
    let m = &summary.manifest;
    let s = Submission {
        urgent: false,
        bundle_id: m.bundle_id.clone(),
        case_id: m.case_id,
        sequence: m.sequence,
        manifest_sha256: summary.manifest_sha256.clone(),
        sha256,
        size: summary.bytes,
        has_media: false,
        recipients: m.recipients.clone(),
        status: Status::Queued,
        progress: UploadProgress::default(),
        attempts: 0,
        next_attempt_at: 0,
        last_error: None,
        receipt: None,
        queued_at: now(),
        supersedes: None,
        acknowledgement: None,
        flag_reason: None,
        text_only: false,
        text_ahead: None,
        figures: true,
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
    /// Acknowledged by OMCT's desk in this run (accepted or flagged).
    pub acknowledged: Vec<String>,
    /// Failed in this run, with reasons.
    pub failed: Vec<(String, String)>,
    /// Left for later (not due, or a transient failure).
    pub waiting: usize,
    /// Messages exchanged with OMCT's desk in this run.
    pub messages: crate::message::Exchange,
    /// Why messages could not be exchanged in this run, if they could not
    /// (tried again at the next).
    pub messages_error: Option<String>,
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
    // The receipt keys it names come with it: OMCT rotating the server's
    // receipt key.
    if let Ok(current) = client::fetch_recipients(&e).await {
        if e.take_list(current) {
            access.with(|v| save_enrollment(v, &e))?;
        }
    }
    let mut report = RunReport::default();
    // Again from the top after an upload paused for an urgent bundle, so
    // that the urgent one goes now and the paused one resumes after it.
    loop {
        if !run_queue(access, &e, force, on_change, &mut report).await? {
            break;
        }
    }
    exchange_after(access, &e, on_change, report).await
}

/// One pass over the queue, urgent bundles first. Returns whether an
/// upload paused for an urgent bundle queued meanwhile.
async fn run_queue<A: VaultAccess>(
    access: &A,
    e: &Enrollment,
    force: bool,
    on_change: &(dyn Fn() + Sync),
    report: &mut RunReport,
) -> Result<bool, OutboxError> {
    let (device, queue) = access.with(|v| Ok((v.device_public_key().id_hex(), list(v)?)))?;
    // Counted again by each pass: what waits is what the last pass saw.
    report.waiting = 0;
    for mut s in queue {
        if s.status.delivered() || s.status == Status::Failed {
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
        // A bundle that is not urgent gives way, between two chunks, to an
        // urgent one queued meanwhile and due (one in back-off after a
        // failure waits its turn: it would fail again at every chunk); tus
        // lets it resume where it stopped. A vault locked meanwhile stops
        // it too: saving the pause then finds the vault gone.
        // An urgent case's files give way too, to another urgent case's
        // text: several arrests at once, each account goes first.
        let (urgent, has_media) = (s.urgent, s.has_media);
        let give_way = || {
            access.with(|v| list(v)).map_or(true, |q| {
                q.iter().any(|o| {
                    o.urgent
                        && (!urgent || (has_media && o.text_only))
                        && o.status == Status::Queued
                        && o.next_attempt_at <= now()
                })
            })
        };
        let result = client::upload_or_pause(
            e,
            &s.bundle_id,
            &device,
            &path,
            &s.sha256,
            &mut progress,
            &mut on_progress,
            &give_way,
        )
        .await;
        s.progress = progress;
        match result {
            Err(SyncError::Paused) => {
                // Not a failed attempt: queued as it was, to resume next.
                s.status = Status::Queued;
                s.attempts = s.attempts.saturating_sub(1);
                access.with(|v| save(v, &s))?;
                on_change();
                return Ok(true);
            }
            Ok(delivery) => {
                access.with(|v| {
                    v.record_delivery(s.case_id, note_of(&s), &s.sha256, &delivery.signed)?;
                    s.status = Status::Delivered;
                    s.receipt = Some(delivery.signed.clone());
                    s.last_error = None;
                    save(v, &s)?;
                    // Nothing is forgotten on the server's receipt: only
                    // OMCT's desk's acknowledgement lets a case go.
                    Ok(())
                })?;
                // Stored by the server (receipt verified): this copy of the
                // ciphertext goes. The case itself stays until the desk
                // acknowledges it; if the server lost the bundle, the case
                // is submitted again (a new bundle), not this file.
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
    Ok(false)
}

/// After the queue: the desk's acknowledgements, then the messages.
async fn exchange_after<A: VaultAccess>(
    access: &A,
    e: &Enrollment,
    on_change: &(dyn Fn() + Sync),
    mut report: RunReport,
) -> Result<RunReport, OutboxError> {
    // Delivered bundles wait for the desk: its acknowledgement, relayed by
    // the server, verified with the desk key the root-signed list names.
    if let Some(desk_key) = e.desk_key.clone() {
        let waiting = access.with(|v| list(v))?;
        for s in waiting
            .into_iter()
            .filter(|s| s.status == Status::Delivered)
        {
            let Some(location) = s.progress.location.clone() else {
                continue;
            };
            let Ok(Some(signed)) = client::fetch_ack(e, &location).await else {
                continue;
            };
            match access.with(|v| take_ack(v, s.clone(), &signed, &desk_key)) {
                Ok(()) => report.acknowledged.push(s.bundle_id.clone()),
                // A relayed acknowledgement that does not verify is the
                // server's lie, not the desk's word: kept waiting.
                Err(OutboxError::Sync(SyncError::Untrustworthy(_))) => {}
                Err(other) => return Err(other),
            }
            on_change();
        }
    }
    // Messages both ways. A server that cannot be reached now is tried
    // again at the next run; the bundles' work above stands.
    match crate::message::exchange(access).await {
        Ok(m) => {
            if !m.received.is_empty() || !m.sent.is_empty() {
                on_change();
            }
            report.messages = m;
        }
        Err(OutboxError::Sync(e)) => report.messages_error = Some(e.to_string()),
        Err(other) => return Err(other),
    }
    Ok(report)
}

/// Verifies and records the desk's acknowledgement of a submission: into
/// the custody log and the submission, then, for an accepted one with the
/// standing policy on, the case is forgotten (unless it changed since).
fn take_ack(
    v: &mut Vault,
    s: Submission,
    signed: &temoin_proto::SignedList,
    desk_key: &str,
) -> Result<(), OutboxError> {
    // The submission as stored now (not the copy read before the network
    // wait): only a delivered one takes an acknowledgement, or a flagged
    // one an accepted acknowledgement (the desk's word overrides a
    // "flagged" that reached the device some other way).
    let mut s = list(v)?
        .into_iter()
        .find(|x| x.bundle_id == s.bundle_id)
        .ok_or_else(|| OutboxError::Damaged(format!("no submission {}", s.bundle_id)))?;
    let ack = client::verify_ack(
        signed,
        desk_key,
        &s.bundle_id,
        &s.sha256,
        Some(&s.manifest_sha256),
    )?;
    let text = serde_json::to_string(signed).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    let accepted = ack.verdict == temoin_proto::ack::Verdict::Accepted;
    match s.status {
        Status::Delivered => {}
        Status::Flagged if accepted => {}
        _ => return Ok(()),
    }
    v.record_acknowledgement(s.case_id, note_of(&s), &s.sha256, &text, accepted)?;
    s.status = if accepted {
        Status::Acknowledged
    } else {
        Status::Flagged
    };
    s.flag_reason = (!accepted).then(|| ack.reasons.join("; "));
    s.acknowledgement = Some(Acknowledgement {
        verdict: ack.verdict,
        reasons: ack.reasons,
        acknowledged_at: ack.acknowledged_at,
        signed: text,
    });
    save(v, &s)?;
    // Figures are no case's: there is nothing to forget.
    if accepted && !s.figures && v.forget_after_delivery()? {
        match v.forget_delivered(s.case_id) {
            // Changed since, or holding items OMCT did not receive: kept.
            Ok(_) | Err(ForgetError::NotDelivered | ForgetError::Withheld(_)) => {}
            Err(ForgetError::Vault(e)) => return Err(e.into()),
            Err(e) => return Err(OutboxError::Damaged(e.to_string())),
        }
    }
    Ok(())
}

/// Imports an acknowledgement the desk wrote as a file (`desk ack-file`)
/// for a bundle that travelled on a USB stick, or that the server withheld:
/// verified with the desk key, and recorded as if it came through the
/// server. Returns the bundle id and whether the desk accepted it.
pub fn import_ack(vault: &mut Vault, bytes: &[u8]) -> Result<(String, bool), OutboxError> {
    let signed: temoin_proto::SignedList = serde_json::from_slice(bytes).map_err(|_| {
        SyncError::Untrustworthy("this file is not an acknowledgement from OMCT's desk".into())
    })?;
    let e = checked_enrollment(vault)?;
    let desk_key = e.desk_key.ok_or_else(|| {
        SyncError::Refused(
            "this device does not know OMCT's desk key yet: sync once with the server first".into(),
        )
    })?;
    let unverified: temoin_proto::ack::DeskAck = serde_json::from_str(&signed.list)
        .map_err(|_| SyncError::Untrustworthy("the acknowledgement is malformed".into()))?;
    let id = unverified.bundle_id.clone();
    // Sent through the outbox: checked against what was sent.
    if let Some(s) = list(vault)?.into_iter().find(|s| s.bundle_id == id) {
        let accepted = unverified.verdict == temoin_proto::ack::Verdict::Accepted;
        // Already recorded (the server relayed it, or imported before);
        // an accepted one still replaces a "flagged".
        if s.status == Status::Acknowledged || (s.status == Status::Flagged && !accepted) {
            client::verify_ack(&signed, &desk_key, &id, &s.sha256, Some(&s.manifest_sha256))?;
            return Ok((id, accepted));
        }
        take_ack(vault, s, &signed, &desk_key)?;
        return Ok((id, accepted));
    }
    // Exported to a file: checked against the manifest recorded at export.
    let (case, note, manifest_sha256) = vault
        .exported_bundle(&id)?
        .ok_or_else(|| OutboxError::Damaged(format!("this vault sealed no bundle {id}")))?;
    let ack = client::verify_ack(
        &signed,
        &desk_key,
        &id,
        &unverified.sha256,
        Some(&manifest_sha256),
    )?;
    let text = serde_json::to_string(&signed).map_err(|e| OutboxError::Damaged(e.to_string()))?;
    let accepted = ack.verdict == temoin_proto::ack::Verdict::Accepted;
    vault.record_acknowledgement(case, note, &ack.sha256, &text, accepted)?;
    Ok((id, accepted))
}

/// The custody log's note of a submission's bundle.
fn note_of(s: &Submission) -> BundleNote {
    BundleNote {
        id: s.bundle_id.clone(),
        sequence: s.sequence,
        purpose: if s.figures {
            Purpose::AnonymisedStatistics
        } else {
            Purpose::ShareWithOmct
        }
        .code()
        .to_owned(),
        recipients: s.recipients.clone(),
        part: s.text_only.then(|| Part::Text.code().to_owned()),
    }
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
