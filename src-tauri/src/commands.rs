//! The commands the interface calls. Each one is wiring: it takes the
//! session's vault, calls temoin-vault or temoin-sync, and shapes the answer
//! for the interface. Anything that touches the disk or the network runs
//! off the interface's thread (`blocking`), and anything long (import,
//! upload) runs as a job that reports through events.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;
use temoin_crypto::Passphrase;
use temoin_sync::client::{self, Endpoint};
use temoin_sync::outbox::{self, Status, Submission};
use temoin_vault::bundle::{ExportOptions, PayloadRecipient, Purpose};
use temoin_vault::case::{
    CaseStatus, Consent, ConsentMethod, ConsentScope, Evidence, FollowUp, FollowUpKind,
    FollowUpStatus, Gender, Institution, Involvement, Method, Perpetrator, PerpetratorKind, Person,
    Place, PlaceType, Role, Testimony, Violation, ViolationType, Vulnerability, Withdrawal,
};
use temoin_vault::redact::Cover;
use temoin_vault::{ItemId, KdfChoice, Kind, Record, Stored, Vault};
use zeroize::Zeroizing;

use crate::error::{AppError, ErrorCode};
use crate::events::{ImportDone, ImportFailure, ImportProgress, OutboxChanged};
use crate::region::{to_region, FractionRect};
use crate::session::Session;

pub type Shared = Arc<Session>;

/// The lowest zxcvbn score (0 to 4) accepted for a new vault's passphrase.
pub const MIN_SCORE: u8 = 3;

/// Runs `f` on the blocking pool, so the window never waits on crypto or
/// the disk.
pub(crate) async fn blocking<T: Send + 'static>(
    session: &State<'_, Shared>,
    f: impl FnOnce(&Session) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let s = Arc::clone(session.inner());
    tauri::async_runtime::spawn_blocking(move || f(&s))
        .await
        .map_err(|_| AppError::new(ErrorCode::Internal, "a background task failed"))?
}

fn parse_id(id: &str) -> Result<ItemId, AppError> {
    id.parse()
        .map_err(|_| AppError::invalid("the item id is not valid"))
}

// ---- state and session -------------------------------------------------

#[derive(Clone, Debug, Serialize, Type)]
pub struct DemoInfo {
    pub server: String,
    pub note: String,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct AppState {
    pub version: String,
    pub vault_exists: bool,
    pub unlocked: bool,
    pub language: String,
    pub auto_lock_minutes: u32,
    pub demo: Option<DemoInfo>,
    /// The neutral face is on: show the plain name, not Témoin's.
    pub neutral: bool,
}

#[tauri::command]
#[specta::specta]
pub async fn app_state(session: State<'_, Shared>) -> Result<AppState, AppError> {
    blocking(&session, |s| {
        Ok(AppState {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            vault_exists: s.vault_dir().join("keyslots.json").exists(),
            unlocked: s.is_unlocked(),
            language: s.settings().language,
            neutral: s.settings().neutral,
            auto_lock_minutes: s.auto_lock_minutes(),
            demo: s.demo.as_ref().map(|d| DemoInfo {
                server: d.server.clone(),
                note: "A demonstration intake server on this computer, started by `make run`. \
                       Nothing sent to it reaches OMCT."
                    .into(),
            }),
        })
    })
    .await
}

const LANGUAGES: [&str; 4] = ["en", "fr", "es", "ar"];

#[tauri::command]
#[specta::specta]
pub async fn set_language(
    app: AppHandle,
    session: State<'_, Shared>,
    language: String,
) -> Result<(), AppError> {
    if !LANGUAGES.contains(&language.as_str()) {
        return Err(AppError::invalid("unknown language"));
    }
    let chosen = language.clone();
    blocking(&session, move |s| s.set_language(&chosen)).await?;
    // The neutral window title and launcher entry follow the language.
    let settings = session.settings();
    if settings.neutral {
        crate::face::apply(&app, true, session.home(), &language);
    }
    Ok(())
}

/// Turns the neutral face on or off (window title and icon at once, the
/// launcher entry from the next start of the desktop's menu).
#[tauri::command]
#[specta::specta]
pub async fn set_neutral(
    app: AppHandle,
    session: State<'_, Shared>,
    on: bool,
) -> Result<(), AppError> {
    let home = session.home().to_owned();
    blocking(&session, move |s| s.set_neutral(on)).await?;
    crate::face::apply(&app, on, &home, &session.settings().language);
    Ok(())
}

/// The person copied text from the app: it is cleared from the clipboard
/// after a short time, at lock and when the window closes.
#[tauri::command]
#[specta::specta]
pub async fn clipboard_copied(app: AppHandle) -> Result<(), AppError> {
    crate::clipboard::copied(app).await;
    Ok(())
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct Strength {
    /// 0 (guessed at once) to 4 (very hard to guess).
    pub score: u8,
    pub guesses_log10: f64,
    /// A code for the main weakness, if any (`zxcvbn`'s warning).
    pub warning: Option<String>,
    /// Codes of suggestions.
    pub suggestions: Vec<String>,
}

/// `SomeWarningName` as `some_warning_name`, a stable code the interface
/// translates.
fn code_of(debug: String) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

fn strength_of(passphrase: &str) -> Strength {
    // zxcvbn: the estimator password managers use; it knows dictionaries,
    // keyboard patterns and dates, which a length rule does not.
    let e = zxcvbn::zxcvbn(passphrase, &["temoin", "omct"]);
    let feedback = e.feedback();
    Strength {
        score: u8::from(e.score()),
        guesses_log10: e.guesses_log10(),
        warning: feedback
            .and_then(|f| f.warning())
            .map(|w| code_of(format!("{w:?}"))),
        suggestions: feedback
            .map(|f| {
                f.suggestions()
                    .iter()
                    .map(|s| code_of(format!("{s:?}")))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn passphrase_strength(passphrase: String) -> Result<Strength, AppError> {
    let passphrase = Zeroizing::new(passphrase);
    Ok(strength_of(&passphrase))
}

#[tauri::command]
#[specta::specta]
pub async fn vault_create(
    app: AppHandle,
    session: State<'_, Shared>,
    passphrase: String,
) -> Result<(), AppError> {
    // Judged before it is wrapped, so its text is read only here.
    let score = strength_of(&passphrase).score;
    let passphrase = Passphrase::new(passphrase);
    blocking(&session, move |s| {
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
        let dir = s.new_vault_dir()?;
        let vault = Vault::create(&dir, &passphrase, KdfChoice::Calibrated)?;
        s.open(vault);
        Ok(())
    })
    .await?;
    crate::background::after_unlock(&app);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_unlock(
    app: AppHandle,
    session: State<'_, Shared>,
    passphrase: String,
) -> Result<(), AppError> {
    let passphrase = Passphrase::new(passphrase);
    blocking(&session, move |s| {
        let vault = Vault::unlock(&s.vault_dir(), &passphrase)?;
        s.open(vault);
        Ok(())
    })
    .await?;
    crate::background::after_unlock(&app);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_lock(app: AppHandle, session: State<'_, Shared>) -> Result<(), AppError> {
    blocking(&session, |s| {
        s.lock();
        Ok(())
    })
    .await?;
    crate::events::locked(&app, "user");
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn touch(session: State<'_, Shared>) -> Result<(), AppError> {
    session.touch();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn set_auto_lock(session: State<'_, Shared>, minutes: u32) -> Result<(), AppError> {
    if minutes > 24 * 60 {
        return Err(AppError::invalid("at most 1440 minutes (a day)"));
    }
    blocking(&session, move |s| s.set_auto_lock(minutes)).await
}

/// Answers at once: the benchmark's measure of whether the app stays
/// responsive while long work runs.
#[tauri::command]
#[specta::specta]
pub fn ping() -> u32 {
    1
}

// ---- vocabulary ----------------------------------------------------------

#[derive(Clone, Debug, Serialize, Type)]
pub struct Vocabulary {
    pub roles: Vec<String>,
    pub vulnerabilities: Vec<String>,
    pub violation_types: Vec<String>,
    pub methods: Vec<String>,
    pub place_types: Vec<String>,
    pub consent_scopes: Vec<String>,
    pub consent_methods: Vec<String>,
    pub case_statuses: Vec<String>,
    pub genders: Vec<String>,
    pub follow_up_kinds: Vec<String>,
    pub follow_up_statuses: Vec<String>,
    pub perpetrator_kinds: Vec<String>,
    pub institutions: Vec<String>,
    pub involvements: Vec<String>,
}

macro_rules! codes {
    ($t:ty) => {
        <$t>::ALL.iter().map(|v| v.code().to_owned()).collect()
    };
}

#[tauri::command]
#[specta::specta]
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        roles: codes!(Role),
        vulnerabilities: codes!(Vulnerability),
        violation_types: codes!(ViolationType),
        methods: codes!(Method),
        place_types: codes!(PlaceType),
        consent_scopes: codes!(ConsentScope),
        consent_methods: codes!(ConsentMethod),
        case_statuses: codes!(CaseStatus),
        genders: codes!(Gender),
        follow_up_kinds: codes!(FollowUpKind),
        follow_up_statuses: codes!(FollowUpStatus),
        perpetrator_kinds: codes!(PerpetratorKind),
        institutions: codes!(Institution),
        involvements: codes!(Involvement),
    }
}

// ---- cases ---------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    None,
    Queued,
    Uploading,
    Delivered,
    Failed,
}

#[derive(Clone, Debug, Deserialize, Type)]
pub struct CaseFilter {
    pub query: Option<String>,
    pub status: Option<CaseStatus>,
    pub violation: Option<ViolationType>,
    pub vulnerability: Option<Vulnerability>,
    pub delivery: Option<DeliveryState>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct CaseSummary {
    pub id: ItemId,
    pub title: String,
    pub status: CaseStatus,
    pub urgent: bool,
    pub violations: Vec<ViolationType>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub delivery: DeliveryState,
    pub evidence_count: u32,
    pub testimony_count: u32,
}

/// The state of a case's latest submission.
fn delivery_of(submissions: &[Submission], case: ItemId) -> DeliveryState {
    match submissions
        .iter()
        .filter(|s| s.case_id == case)
        .max_by_key(|s| (s.sequence, s.queued_at))
    {
        None => DeliveryState::None,
        Some(s) => match s.status {
            Status::Queued => DeliveryState::Queued,
            Status::Uploading => DeliveryState::Uploading,
            Status::Delivered => DeliveryState::Delivered,
            Status::Failed => DeliveryState::Failed,
        },
    }
}

fn records<R: Record>(v: &Vault, case: ItemId, kind: Kind) -> Result<Vec<Stored<R>>, AppError> {
    let mut out = Vec::new();
    for id in v.list_in_case(case, kind) {
        if let Some(r) = v.get::<R>(id)? {
            out.push(r);
        }
    }
    Ok(out)
}

fn summary(v: &Vault, id: ItemId, submissions: &[Submission]) -> Result<CaseSummary, AppError> {
    let case = v.require::<temoin_vault::case::Case>(id)?.record;
    let violations: BTreeSet<ViolationType> = records::<Violation>(v, id, Kind::Violation)?
        .into_iter()
        .map(|s| s.record.kind)
        .collect();
    let mut vulnerabilities = BTreeSet::new();
    for p in &case.participants {
        if let Some(person) = v.get::<Person>(p.person)? {
            vulnerabilities.extend(person.record.vulnerabilities);
        }
    }
    Ok(CaseSummary {
        id,
        title: case.title,
        status: case.status,
        urgent: case.urgent,
        violations: violations.into_iter().collect(),
        vulnerabilities: vulnerabilities.into_iter().collect(),
        delivery: delivery_of(submissions, id),
        evidence_count: v.list_in_case(id, Kind::Evidence).len() as u32,
        testimony_count: v.list_in_case(id, Kind::Testimony).len() as u32,
    })
}

#[tauri::command]
#[specta::specta]
pub async fn case_list(
    session: State<'_, Shared>,
    filter: CaseFilter,
) -> Result<Vec<CaseSummary>, AppError> {
    blocking(&session, move |s| {
        s.read(|v| {
            let submissions = outbox::list(v).unwrap_or_default();
            let ids: Vec<ItemId> = match filter.query.as_deref().map(str::trim) {
                Some(q) if !q.is_empty() => {
                    let mut seen = BTreeSet::new();
                    v.search(q, 500)
                        .into_iter()
                        .filter_map(|h| h.case)
                        .filter(|c| seen.insert(*c))
                        .collect()
                }
                _ => v.list(Kind::Case),
            };
            let mut out = Vec::new();
            for id in ids {
                if v.kind_of(id) != Some(Kind::Case) {
                    continue;
                }
                let c = summary(v, id, &submissions)?;
                let keep = filter.status.is_none_or(|st| c.status == st)
                    && filter.violation.is_none_or(|k| c.violations.contains(&k))
                    && filter
                        .vulnerability
                        .is_none_or(|k| c.vulnerabilities.contains(&k))
                    && filter.delivery.is_none_or(|d| c.delivery == d);
                if keep {
                    out.push(c);
                }
            }
            out.sort_by(|a, b| b.urgent.cmp(&a.urgent).then(a.title.cmp(&b.title)));
            Ok(out)
        })
    })
    .await
}

/// One stored record with its id and revision.
#[derive(Clone, Debug, Serialize, Type)]
pub struct Entry<T> {
    pub id: ItemId,
    pub revision: u32,
    pub record: T,
}

impl<T> From<Stored<T>> for Entry<T> {
    fn from(s: Stored<T>) -> Self {
        Entry {
            id: s.id,
            revision: s.revision,
            record: s.record,
        }
    }
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct EvidenceSummary {
    pub id: ItemId,
    pub media_type: String,
    pub size: u64,
    pub original_name: Option<String>,
    pub description: Option<String>,
    pub derived_from: Option<ItemId>,
    pub has_preview: bool,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct CaseDetail {
    pub id: ItemId,
    pub revision: u32,
    pub case: temoin_vault::case::Case,
    pub people: Vec<Entry<Person>>,
    pub testimonies: Vec<Entry<Testimony>>,
    pub violations: Vec<Entry<Violation>>,
    pub places: Vec<Entry<Place>>,
    pub perpetrators: Vec<Entry<Perpetrator>>,
    pub follow_ups: Vec<Entry<FollowUp>>,
    pub consents: Vec<Entry<Consent>>,
    pub evidence: Vec<EvidenceSummary>,
}

fn entries<R: Record>(v: &Vault, case: ItemId, kind: Kind) -> Result<Vec<Entry<R>>, AppError> {
    Ok(records::<R>(v, case, kind)?
        .into_iter()
        .map(Entry::from)
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn case_get(session: State<'_, Shared>, id: String) -> Result<CaseDetail, AppError> {
    let id = parse_id(&id)?;
    blocking(&session, move |s| {
        s.read(|v| {
            let case = v.require::<temoin_vault::case::Case>(id)?;
            let testimonies: Vec<Entry<Testimony>> = entries(v, id, Kind::Testimony)?;
            let violations: Vec<Entry<Violation>> = entries(v, id, Kind::Violation)?;
            let consents: Vec<Entry<Consent>> = entries(v, id, Kind::Consent)?;
            // Everyone the case's records name: participants, witnesses,
            // victims, people who gave consent.
            let named = case
                .record
                .participants
                .iter()
                .map(|p| p.person)
                .chain(testimonies.iter().filter_map(|t| t.record.witness))
                .chain(
                    violations
                        .iter()
                        .flat_map(|x| x.record.victims.iter().copied()),
                )
                .chain(consents.iter().filter_map(|c| c.record.given_by));
            let mut people = Vec::new();
            let mut seen = BTreeSet::new();
            for person in named {
                if seen.insert(person) {
                    if let Some(p) = v.get::<Person>(person)? {
                        people.push(Entry::from(p));
                    }
                }
            }
            let mut evidence = Vec::new();
            for e in records::<Evidence>(v, id, Kind::Evidence)? {
                evidence.push(EvidenceSummary {
                    id: e.id,
                    media_type: e.record.media_type.clone(),
                    size: e.record.size,
                    original_name: e.record.original_name.clone(),
                    description: e.record.description.clone(),
                    derived_from: e.record.derived_from.as_ref().map(|d| d.original),
                    has_preview: e.record.media_type.starts_with("image/"),
                });
            }
            Ok(CaseDetail {
                id,
                revision: case.revision,
                case: case.record,
                people,
                testimonies,
                violations,
                places: entries(v, id, Kind::Place)?,
                perpetrators: entries(v, id, Kind::Perpetrator)?,
                follow_ups: entries(v, id, Kind::FollowUp)?,
                consents,
                evidence,
            })
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn case_save(
    session: State<'_, Shared>,
    id: Option<String>,
    record: temoin_vault::case::Case,
) -> Result<ItemId, AppError> {
    let id = id.as_deref().map(parse_id).transpose()?;
    session.touch();
    blocking(&session, move |s| s.write(|v| save(v, id, &record))).await
}

/// Any record of a case other than the case itself and evidence (which
/// comes in through import).
// Made once per call and consumed at once: boxing the large variants would
// buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Deserialize, Type)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum AnyRecord {
    Person(Person),
    Testimony(Testimony),
    Violation(Violation),
    Place(Place),
    Perpetrator(Perpetrator),
    FollowUp(FollowUp),
    Consent(Consent),
}

fn save<R: Record>(v: &mut Vault, id: Option<ItemId>, r: &R) -> Result<ItemId, AppError> {
    match id {
        Some(id) => {
            v.update(id, r)?;
            Ok(id)
        }
        None => Ok(v.add(r)?),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn record_save(
    session: State<'_, Shared>,
    id: Option<String>,
    record: AnyRecord,
) -> Result<ItemId, AppError> {
    let id = id.as_deref().map(parse_id).transpose()?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| match &record {
            AnyRecord::Person(r) => save(v, id, r),
            AnyRecord::Testimony(r) => save(v, id, r),
            AnyRecord::Violation(r) => save(v, id, r),
            AnyRecord::Place(r) => save(v, id, r),
            AnyRecord::Perpetrator(r) => save(v, id, r),
            AnyRecord::FollowUp(r) => save(v, id, r),
            AnyRecord::Consent(r) => save(v, id, r),
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn record_delete(session: State<'_, Shared>, id: String) -> Result<(), AppError> {
    let id = parse_id(&id)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            if !v.delete(id)? {
                return Err(AppError::new(ErrorCode::NotFound, "no such item"));
            }
            Ok(())
        })
    })
    .await
}

#[tauri::command]
#[specta::specta]
pub async fn consent_withdraw(
    session: State<'_, Shared>,
    id: String,
    withdrawal: Withdrawal,
) -> Result<(), AppError> {
    let id = parse_id(&id)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            let mut consent = v.require::<Consent>(id)?.record;
            consent.withdrawal = Some(withdrawal);
            v.update(id, &consent)?;
            Ok(())
        })
    })
    .await
}

// ---- evidence ------------------------------------------------------------

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

// ---- custody -------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Type)]
pub struct CustodyRow {
    pub seq: u32,
    pub time: String,
    pub action: String,
    pub item: Option<ItemId>,
    pub revision: Option<u32>,
    pub sha256: Option<String>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Serialize, Type)]
pub struct CustodyView {
    /// Whether the whole chain verifies (order, links, signatures).
    pub verified: bool,
    pub problems: Vec<String>,
    pub entries: Vec<CustodyRow>,
}

#[tauri::command]
#[specta::specta]
pub async fn custody_log(
    session: State<'_, Shared>,
    case_id: Option<String>,
    item: Option<String>,
) -> Result<CustodyView, AppError> {
    let case_id = case_id.as_deref().map(parse_id).transpose()?;
    let item = item.as_deref().map(parse_id).transpose()?;
    blocking(&session, move |s| {
        s.read(|v| {
            let (_, problems) = v.verify_custody()?;
            let entries = v
                .custody()?
                .into_iter()
                .filter(|e| {
                    let b = &e.body;
                    let about = |id| b.item == Some(id) || b.source == Some(id);
                    item.is_none_or(about) && case_id.is_none_or(|c| b.case == Some(c) || about(c))
                })
                .map(|e| {
                    let b = e.body;
                    CustodyRow {
                        seq: b.seq as u32,
                        time: b.time.clone(),
                        action: b.action.code().to_owned(),
                        item: b.item,
                        revision: b.revision,
                        sha256: b.sha256.clone(),
                        detail: b.bundle.as_ref().map(|n| format!("bundle {}", n.id)),
                    }
                })
                .collect();
            Ok(CustodyView {
                verified: problems.is_empty(),
                problems: problems.iter().map(|p| p.to_string()).collect(),
                entries,
            })
        })
    })
    .await
}

// ---- handover ------------------------------------------------------------

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
        status: match s.status {
            Status::Queued => DeliveryState::Queued,
            Status::Uploading => DeliveryState::Uploading,
            Status::Delivered => DeliveryState::Delivered,
            Status::Failed => DeliveryState::Failed,
        },
        percent: if s.status == Status::Delivered {
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

#[derive(Clone, Debug, Serialize, Type)]
pub struct ExportResult {
    pub path: String,
    /// What consent kept out, as `kind: reason` lines.
    pub withheld: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn case_export(
    session: State<'_, Shared>,
    case_id: String,
    folder: String,
) -> Result<ExportResult, AppError> {
    let case_id = parse_id(&case_id)?;
    session.touch();
    blocking(&session, move |s| {
        s.write(|v| {
            let e = outbox::enrollment(v)?.ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotEnrolled,
                    "a bundle is sealed to OMCT's keys, which come with enrollment: enroll in \
                     Settings first",
                )
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
                    purpose: Purpose::ShareWithOmct,
                    recipients,
                    supersedes: None,
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

/// Only SOCKS5 proxies (Tor's kind) are accepted.
fn check_proxy(proxy: Option<&str>) -> Result<(), AppError> {
    match proxy {
        Some(p) if !(p.starts_with("socks5://") || p.starts_with("socks5h://")) => {
            Err(AppError::invalid(
                "the proxy must be a SOCKS5 address such as socks5h://127.0.0.1:9050 (Tor)",
            ))
        }
        _ => Ok(()),
    }
}

/// Enrolls the open vault's device with an intake server.
pub async fn enroll_with(
    session: &Session,
    server: &str,
    token: &str,
    pin: &str,
    proxy: Option<String>,
) -> Result<DeviceInfo, AppError> {
    let pin = temoin_sync::pin::parse_pin(pin).ok_or_else(|| {
        AppError::invalid("the pin must be sha256: followed by 64 hex digits, as OMCT gave it")
    })?;
    if !server.starts_with("https://") {
        return Err(AppError::invalid(
            "the server address must start with https://",
        ));
    }
    check_proxy(proxy.as_deref())?;
    let key = session.read(|v| Ok(v.device_public_key().to_minisign_base64()))?;
    let e = client::enroll(
        Endpoint {
            url: server.to_owned(),
            pin,
            proxy,
            timeout_secs: None,
        },
        token.trim(),
        &key,
    )
    .await?;
    session.write(|v| {
        outbox::save_enrollment(v, &e)?;
        device_info_of(v)
    })
}

#[tauri::command]
#[specta::specta]
pub async fn enroll(
    app: AppHandle,
    session: State<'_, Shared>,
    server: String,
    token: String,
    pin: String,
    proxy: Option<String>,
) -> Result<DeviceInfo, AppError> {
    session.touch();
    let proxy = proxy.filter(|p| !p.trim().is_empty());
    let info = enroll_with(session.inner(), &server, &token, &pin, proxy).await?;
    crate::background::wake_outbox(&app);
    Ok(info)
}

#[tauri::command]
#[specta::specta]
pub async fn set_proxy(session: State<'_, Shared>, proxy: Option<String>) -> Result<(), AppError> {
    let proxy = proxy.filter(|p| !p.trim().is_empty());
    check_proxy(proxy.as_deref())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_codes_are_snake_case_and_scores_follow_guessability() {
        let weak = strength_of("password1");
        assert!(weak.score < MIN_SCORE);
        assert!(weak
            .warning
            .as_deref()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        let strong = strength_of("correct horse battery staple orbit lantern");
        assert!(strong.score >= MIN_SCORE);
        assert!(strong.guesses_log10 > weak.guesses_log10);
    }

    #[test]
    fn code_of_turns_variant_names_into_codes() {
        assert_eq!(code_of("TopTenPassword".into()), "top_ten_password");
        assert_eq!(code_of("UseAFewWords".into()), "use_a_few_words");
    }
}
