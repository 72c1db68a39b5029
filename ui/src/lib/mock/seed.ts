// Two cases to look at in `vite dev` and to start tests from: an urgent
// arrest with a victim, a testimony, a violation and a photograph, and a
// disappearance with nothing recorded yet.

import type { Case, EvidenceRecord, Person, Testimony, Violation } from '../types';
import { fakeSha, put } from './records';
import { state } from './state';

/** The fake capture metadata of a photograph (with a GPS position). */
export function photoCapture(make: string, model: string, width: number, height: number): EvidenceRecord['capture'] {
  return {
    taken_at: '2024:05:17 10:42:00 +01:00', gps: { latitude: 36.8065, longitude: 10.1815, altitude: 12 }, make, model,
    software: null, orientation: 1, width, height, has_xmp: false, format: null, duration_seconds: null, sample_rate: null,
    channels: null, pages: null, author: null, title: null, problem: null,
  };
}

/** Fills the vault's own store, locked or not. */
export function seed(): void {
  const open = state.open;
  state.open = state.vaults.get(state.passphrase) ?? null;
  const victim = put(null, 'person', {
    name: 'Amal B.', other_names: [], pseudonym: 'A.', gender: 'female', birth_year: 1994, age_at_events: null, nationality: 'TN',
    occupation: 'student', vulnerabilities: ['woman', 'human_rights_defender'], contact: null,
  } satisfies Person);
  const caseId = put(null, 'case', {
    title: 'Arrest of three students, May 2024', summary: 'Three students arrested after a demonstration and held for four days.',
    status: 'open', urgent: true, urgent_reason: 'incommunicado_detention', urgent_note: null, incident_start: '2024-05', incident_end: null, country: 'TN', location: 'Tunis',
    participants: [{ person: victim, role: 'victim', note: null }], tags: [],
  } satisfies Case);
  put(null, 'testimony', {
    case_id: caseId, witness: victim,
    interview: { date: '2024-06-02', place: 'Office', interviewer: 'S. K.', people_present: [], interpreter: null, language: 'ar', circumstances: null },
    account: { background: null, arrest_and_detention: 'Arrested at night at home.', place_and_conditions: null, methods: ['beating', 'threats'], methods_described: null, perpetrators_described: null, after_release: null },
    complaints: { physical_acute: null, physical_chronic: null, psychological_acute: null, psychological_chronic: null },
    narrative: 'They came at night.',
  } satisfies Testimony);
  put(null, 'violation', {
    case_id: caseId, kind: 'arbitrary_detention', methods: [], victims: [victim], perpetrators: [], place: null,
    start: '2024-05-12', end: '2024-05-16', description: null,
  } satisfies Violation);
  const sha256 = fakeSha('bruise');
  put(null, 'evidence', {
    case_id: caseId, description: null, original_name: 'bruise.jpg', media_type: 'image/jpeg', size: 2_345_678, sha256,
    captured_at: null, collected_by: null, collected_on: null, source: null, tags: [],
    capture: photoCapture('Samsung', 'SM-A125F', 4000, 3000), derived_from: null,
  } satisfies EvidenceRecord, sha256);
  put(null, 'case', {
    title: 'Disappearance of a lawyer', summary: null, status: 'under_review', urgent: false, urgent_reason: null, urgent_note: null, incident_start: '2023',
    incident_end: null, country: null, location: null, participants: [], tags: [],
  } satisfies Case);
  state.open = open;
}
