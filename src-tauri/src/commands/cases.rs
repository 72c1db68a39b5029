//! Cases and their records: list, read, save, delete, consent withdrawal.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use temoin_sync::outbox::{self, Status, Submission};
use temoin_vault::case::{
    Assistance, CaseStatus, Consent, Detention, Evidence, FollowUp, Perpetrator, Person, Place,
    Proceeding, Testimony, Violation, ViolationType, Vulnerability, Withdrawal,
};
use temoin_vault::{ItemId, Kind, Record, Stored, Vault};

use crate::error::{AppError, ErrorCode};

use super::*;
use crate::session::{blocking, Shared};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    None,
    Queued,
    Uploading,
    /// OMCT's server signed a receipt; the desk has not confirmed yet.
    Delivered,
    /// OMCT's desk opened, verified and acknowledged it: received by OMCT.
    Acknowledged,
    /// OMCT's desk received it and refused it.
    Flagged,
    Failed,
}

impl From<Status> for DeliveryState {
    fn from(s: Status) -> Self {
        match s {
            Status::Queued => DeliveryState::Queued,
            Status::Uploading => DeliveryState::Uploading,
            Status::Delivered => DeliveryState::Delivered,
            Status::Acknowledged => DeliveryState::Acknowledged,
            Status::Flagged => DeliveryState::Flagged,
            Status::Failed => DeliveryState::Failed,
        }
    }
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
        // The text of an urgent case sent ahead of its files is not the
        // case's delivery: the bundle with its files is.
        .filter(|s| s.case_id == case && !s.text_only)
        .max_by_key(|s| (s.sequence, s.queued_at))
    {
        None => DeliveryState::None,
        Some(s) => s.status.into(),
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
    pub detentions: Vec<Entry<Detention>>,
    pub proceedings: Vec<Entry<Proceeding>>,
    pub assistance: Vec<Entry<Assistance>>,
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
            let detentions: Vec<Entry<Detention>> = entries(v, id, Kind::Detention)?;
            let proceedings: Vec<Entry<Proceeding>> = entries(v, id, Kind::Proceeding)?;
            let assistance: Vec<Entry<Assistance>> = entries(v, id, Kind::Assistance)?;
            // Everyone the case's records name: participants, witnesses,
            // victims, people who gave consent, the detained, those
            // proceedings and assistance are for.
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
                .chain(consents.iter().filter_map(|c| c.record.given_by))
                .chain(detentions.iter().map(|d| d.record.person))
                .chain(
                    proceedings
                        .iter()
                        .flat_map(|p| p.record.people.iter().copied()),
                )
                .chain(assistance.iter().filter_map(|a| a.record.beneficiary));
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
                detentions,
                proceedings,
                assistance,
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
    Detention(Detention),
    Proceeding(Proceeding),
    Assistance(Assistance),
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
            AnyRecord::Detention(r) => save(v, id, r),
            AnyRecord::Proceeding(r) => save(v, id, r),
            AnyRecord::Assistance(r) => save(v, id, r),
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
