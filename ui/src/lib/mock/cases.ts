// The fake's cases and records: stored as given, read back as the backend
// shapes them (a case with the people and places its records name).

import type { Case, CaseDetail, CaseSummary, Consent, Entry, EvidenceRecord, EvidenceSummary, FollowUp, ItemId } from '../types';
import type { Assistance, Detention, Perpetrator, Person, Place, Proceeding, Testimony, Violation } from '../types';
import { vaultCommand } from './command';
import { get, put, remove, rows } from './records';
import { state } from './state';

/** The records of a kind that belong to a case. */
const rowsOf = <T extends { case_id: ItemId | null }>(kind: Parameters<typeof rows>[0], caseId: ItemId) =>
  rows<T>(kind, (r) => r.case_id === caseId);

function caseEvidence(caseId: ItemId): EvidenceSummary[] {
  return rowsOf<EvidenceRecord>('evidence', caseId).map(({ id, record: e }) => ({
    id, media_type: e.media_type, size: e.size, original_name: e.original_name, description: e.description,
    derived_from: e.derived_from?.original ?? null, has_preview: e.media_type.startsWith('image/'),
  }));
}

function summary({ id, record: c }: Entry<Case>): CaseSummary {
  const outbox = state.open?.outbox.filter((r) => r.case_id === id) ?? [];
  const people = new Set(c.participants.map((p) => p.person));
  return {
    id, title: c.title, status: c.status, urgent: c.urgent,
    violations: [...new Set(rowsOf<Violation>('violation', id).map((v) => v.record.kind))],
    vulnerabilities: [...new Set(rows<Person>('person').flatMap((p) => (people.has(p.id) ? p.record.vulnerabilities : [])))],
    delivery: outbox.length ? outbox[outbox.length - 1].status : 'none',
    evidence_count: caseEvidence(id).length,
    testimony_count: rowsOf('testimony', id).length,
  };
}

export const caseList = vaultCommand('caseList', async (filter) => {
  const query = filter.query?.trim().toLowerCase() ?? '';
  const found = (c: Case) => `${c.title} ${c.summary ?? ''} ${c.location ?? ''}`.toLowerCase().includes(query);
  const matches = (s: CaseSummary) =>
    (!filter.status || s.status === filter.status) &&
    (!filter.violation || s.violations.includes(filter.violation)) &&
    (!filter.vulnerability || s.vulnerabilities.includes(filter.vulnerability)) &&
    (!filter.delivery || s.delivery === filter.delivery);
  return rows<Case>('case', found).map(summary).filter(matches).reverse();
});

/** The people a case's records name: its participants, witnesses, victims and consenting persons. */
export function peopleOf(caseId: ItemId): Set<ItemId> {
  return new Set([
    ...get<Case>(caseId, 'case').participants.map((p) => p.person),
    ...rowsOf<Testimony>('testimony', caseId).flatMap((t) => t.record.witness ?? []),
    ...rowsOf<Violation>('violation', caseId).flatMap((v) => v.record.victims),
    ...rowsOf<Consent>('consent', caseId).flatMap((k) => k.record.given_by ?? []),
    ...rowsOf<Detention>('detention', caseId).map((d) => d.record.person),
    ...rowsOf<Proceeding>('proceeding', caseId).flatMap((p) => p.record.people),
    ...rowsOf<Assistance>('assistance', caseId).flatMap((a) => a.record.beneficiary ?? []),
  ]);
}

export const caseGet = vaultCommand('caseGet', async (id): Promise<CaseDetail> => {
  const violations = rowsOf<Violation>('violation', id);
  const people = peopleOf(id);
  const places = new Set([
    ...violations.flatMap((v) => v.record.place ?? []),
    ...rowsOf<Detention>('detention', id).flatMap((d) => d.record.place ?? []),
  ]);
  return {
    id,
    revision: state.open?.items.get(id)?.revision ?? 1,
    case: get<Case>(id, 'case'),
    people: rows<Person>('person').filter((p) => people.has(p.id)),
    testimonies: rowsOf<Testimony>('testimony', id),
    violations,
    places: rows<Place>('place').filter((p) => p.record.case_id === id || places.has(p.id)),
    perpetrators: rowsOf<Perpetrator>('perpetrator', id),
    follow_ups: rowsOf<FollowUp>('follow_up', id),
    detentions: rowsOf<Detention>('detention', id),
    proceedings: rowsOf<Proceeding>('proceeding', id),
    assistance: rowsOf<Assistance>('assistance', id),
    consents: rowsOf<Consent>('consent', id),
    evidence: caseEvidence(id),
  };
});

export const caseSave = vaultCommand('caseSave', async (id, record) => put(id, 'case', record));
export const recordSave = vaultCommand('recordSave', async (id, value) => put(id, value.kind, value.record));

export const recordDelete = vaultCommand('recordDelete', async (id) => {
  get(id);
  remove([id]);
  return null;
});

export const consentWithdraw = vaultCommand('consentWithdraw', async (id, withdrawal) => {
  put(id, 'consent', { ...get<Consent>(id, 'consent'), withdrawal });
  return null;
});
