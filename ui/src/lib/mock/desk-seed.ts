// What the fake desk holds to start with: three received cases (an urgent
// one with a photograph carrying GPS tags, its redacted working copy, a
// recording and a PDF, and an item withheld by the sender; one amended,
// with what changed and a device's answer waiting; one from a device
// revoked since), a fourth that the next pull brings, devices with a
// sequence gap, and figures with a cell under 5.

import { blankPerson, blankTestimony } from '../records';
import type { Case, DeskCaseView, DeskDevice, DeskEvidence, DeskVersion, EvidenceRecord, StatsCell } from '../types';
import { fakeSha } from './records';
import { photoCapture } from './seed';

/** A 48 × 36 JPEG, as the backend re-encodes a received image. */
export const PHOTO_JPEG =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAkADADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAAAAQC/8QAGBABAQEBAQAAAAAAAAAAAAAAABNhARL/xAAWAQEBAQAAAAAAAAAAAAAAAAAAAQT/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwDM8J4rmTZ2lJPCeK5kwSTwniuZMFk8J4rmTESTwniuZMEk8J4rmTBX54eeAqHnh54AHnh54AP/2Q==';

/** A one-page PDF saying "Medical report". */
export const REPORT_PDF =
  'JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCAzMDAgMjAwXSAvQ29udGVudHMgNCAwIFIgL1Jlc291cmNlcyA8PCAvRm9udCA8PCAvRjEgNSAwIFIgPj4gPj4gPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCA0NSA+PgpzdHJlYW0KQlQgL0YxIDE4IFRmIDMwIDEyMCBUZCAoTWVkaWNhbCByZXBvcnQpIFRqIEVUCmVuZHN0cmVhbQplbmRvYmoKNSAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEgL0Jhc2VGb250IC9IZWx2ZXRpY2EgPj4KZW5kb2JqCnhyZWYKMCA2CjAwMDAwMDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMDI0MSAwMDAwMCBuIAowMDAwMDAwMzM2IDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDA2CiUlRU9GCg==';

export const TUNIS = { key_id: 'a1b2c3d4e5f60718', label: 'Field office Tunis', words: 'amber falcon river quiet lantern orbit' };
export const SFAX = { key_id: '0f9e8d7c6b5a4938', label: 'Lawyer network Sfax', words: 'copper meadow signal velvet harbor north' };
export const OLD_LAPTOP = { key_id: '5566778899aabbcc', label: 'Old laptop, Cairo', words: 'granite willow echo summit pepper ocean' };
const REVOKED_AT = '2025-03-01T08:00:00Z';

/** A stable id for the seed's records. */
const uid = (n: number) => `d0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function evidence(id: string, caseId: string, e: Partial<EvidenceRecord> & Pick<EvidenceRecord, 'media_type' | 'size'>, shown: Partial<DeskEvidence> = {}): DeskEvidence {
  const sha256 = fakeSha(id);
  const record: EvidenceRecord = {
    case_id: caseId, description: null, original_name: null, sha256, captured_at: null, collected_by: null,
    collected_on: null, source: null, tags: [], capture: null, derived_from: null, ...e,
  };
  return {
    id, record, path: `files/${id}`, sha256, size: record.size, media_type: record.media_type,
    viewable: false, playable: false, ...shown,
  };
}

function version(sequence: number, at: string, withheld = 0, supersedes: string | null = null): DeskVersion {
  return {
    bundle_id: `b-${sequence}-${at.slice(0, 10)}`, sequence, purpose: 'share_with_omct', sealed_at: at,
    received_at: new Date(Date.parse(at) + 20 * 60_000).toISOString(), supersedes,
    manifest_sha256: fakeSha(`manifest-${sequence}-${at}`), file_sha256: fakeSha(`file-${sequence}-${at}`),
    files_verified: 4, custody_verified: 23, withheld,
  };
}

type Device = typeof TUNIS;

/** A received case: its inbox row made from its case record and its latest version. */
function received(
  id: string,
  caseId: string,
  device: Device,
  status: string,
  record: Case,
  rest: Partial<DeskCaseView> & Pick<DeskCaseView, 'versions'>,
): DeskCaseView {
  const violations = [...new Set((rest.violations ?? []).map((v) => v.record.kind))];
  const latest = rest.versions[rest.versions.length - 1];
  const history = rest.history ?? [{ state: 'new', note: null, revision: 1 }];
  return {
    row: {
      id, case_id: caseId, title: record.title, country: record.country, urgent: record.urgent,
      violations, files_follow: false, state: history[history.length - 1].state, received_at: latest.received_at, device_key_id: device.key_id,
      device_label: device.label, versions: rest.versions.length, waiting_messages: 0,
    },
    history, case: record, people: [], testimonies: [], violations: [], places: [], perpetrators: [], follow_ups: [],
    detentions: [], proceedings: [], assistance: [], consents: [], evidence: [], unreadable: [], withheld: [], changed: [], messages: [],
    signer: {
      key_id: device.key_id, label: device.label, status, revoked_at: status === 'revoked' ? REVOKED_AT : null, words: device.words,
    },
    recipients: [fakeSha(`omct-recipient-${id}`).slice(0, 32)],
    ...rest,
  };
}

const blankCase = (c: Partial<Case> & Pick<Case, 'title'>): Case => ({
  summary: null, status: 'submitted', urgent: false, urgent_reason: null, urgent_note: null, incident_start: null, incident_end: null, country: null,
  location: null, participants: [], tags: [], ...c,
});

/** The urgent arrest: every section filled, a photograph with GPS, a withheld person. */
function arrest(): DeskCaseView {
  const id = uid(1);
  const caseId = uid(901);
  const [amal, cellmate, officer, station, photo] = [uid(11), uid(12), uid(13), uid(14), uid(15)];
  return received(id, caseId, TUNIS, 'approved', blankCase({
    title: 'Arrest at the Bab Saadoun checkpoint', urgent: true, country: 'TN', location: 'Tunis',
    summary: 'A student was stopped at the checkpoint, taken to the police station and held for two days.',
    incident_start: '2024-05-12', incident_end: '2024-05-14',
    participants: [{ person: amal, role: 'victim', note: null }, { person: cellmate, role: 'witness', note: 'cellmate' }],
  }), {
    people: [
      { id: amal, revision: 2, redacted: false, record: { ...blankPerson(), name: 'Amal B.', pseudonym: 'A.', gender: 'female', birth_year: 1999, nationality: 'TN', vulnerabilities: ['woman', 'human_rights_defender'] } },
      { id: cellmate, revision: 1, redacted: true, record: { ...blankPerson(), name: '', pseudonym: 'W.' } },
    ],
    consents: [{
      id: uid(16), revision: 1, redacted: false, record: {
        case_id: caseId, given_by: amal, given_by_name: null, given_on: '2024-06-02', method: 'oral', interpreter: null,
        recorded_by: 'S. K.', scopes: ['share_with_omct', 'anonymised_statistics'], guardian: null, child_assent: null, note: 'Not before her release.',
        withdrawal: null,
      },
    }],
    testimonies: [{
      id: uid(17), revision: 1, redacted: false, record: {
        ...blankTestimony(caseId), witness: amal,
        interview: { date: '2024-06-02', place: 'Office of the association', interviewer: 'S. K.', people_present: ['her sister'], interpreter: null, language: 'Arabic', circumstances: 'Private room, no official present.' },
        account: { background: 'Student of law, active in a campus association.', arrest_and_detention: 'Stopped at the checkpoint at 22:00, taken by two officers in plain clothes.', place_and_conditions: 'A cell without light, no water for the first night.', methods: ['beating', 'threats'], methods_described: 'Slapped and kicked during questioning.', perpetrators_described: 'Two officers in plain clothes, one in uniform.', after_release: 'Saw a doctor on 15 May.' },
        complaints: { physical_acute: 'Bruises on the arms and back.', physical_chronic: null, psychological_acute: 'Could not sleep.', psychological_chronic: null },
        narrative: 'They stopped the car and asked for my card.\nThen they took me to the station and kept me for two days.',
      },
    }],
    violations: [
      { id: uid(18), revision: 1, redacted: false, record: { case_id: caseId, kind: 'torture', methods: ['beating'], victims: [amal], perpetrators: [officer], place: station, start: '2024-05-12', end: '2024-05-14', description: 'Beaten during questioning.' } },
      { id: uid(19), revision: 1, redacted: false, record: { case_id: caseId, kind: 'arbitrary_detention', methods: [], victims: [amal], perpetrators: [], place: station, start: '2024-05-12', end: '2024-05-14', description: null } },
    ],
    places: [{ id: station, revision: 1, redacted: false, record: { case_id: caseId, name: 'Bab Saadoun police station', kind: 'police_station', authority: 'Ministry of the Interior', country: 'TN', locality: 'Tunis', coordinates: '36.8065, 10.1815', note: null } }],
    perpetrators: [{ id: officer, revision: 1, redacted: false, record: { case_id: caseId, kind: 'unit', name: null, unit: 'Intervention brigade', rank: null, institution: 'police', involvement: 'direct', note: null } }],
    follow_ups: [{ id: uid(20), revision: 1, redacted: false, record: { case_id: caseId, kind: 'medical', status: 'open', urgent: true, due: '2024-07', note: 'An examination under the Istanbul Protocol.' } }],
    evidence: [
      evidence(photo, caseId, { original_name: 'bruises.jpg', description: 'Bruises on the left arm', media_type: 'image/jpeg', size: 2_345_678, capture: photoCapture('Samsung', 'SM-A125F', 4000, 3000) }, { viewable: true }),
      evidence(uid(21), caseId, { original_name: 'report.pdf', description: 'Medical report', media_type: 'application/pdf', size: 788 }, { viewable: true }),
      evidence(uid(22), caseId, { original_name: 'statement.ogg', media_type: 'audio/ogg', size: 123_456 }, { playable: true }),
      evidence(uid(23), caseId, {
        original_name: 'bruises-redacted.jpg', media_type: 'image/jpeg', size: 1_234_567,
        derived_from: { original: photo, original_sha256: fakeSha(photo), operations: [{ op: 'strip_metadata' }, { op: 'black_out', regions: [{ x: 10, y: 10, w: 80, h: 80 }] }] },
      }, { viewable: true }),
    ],
    withheld: [{ id: uid(24), kind: 'person', reason: 'the person did not consent to sharing with OMCT' }],
    versions: [version(5, '2025-01-10T09:00:00Z', 1)],
  });
}

/** The amended case: two versions, what changed, a question and the device's answer. */
function disappearance(): DeskCaseView {
  const id = uid(2);
  const caseId = uid(902);
  const first = version(2, '2024-11-03T15:00:00Z');
  const view = received(id, caseId, SFAX, 'approved', blankCase({
    title: 'Disappearance of a lawyer in Sfax', country: 'TN', location: 'Sfax', incident_start: '2024-10',
    summary: 'A lawyer was last seen leaving the court house.',
  }), {
    testimonies: [{ id: uid(31), revision: 1, redacted: false, record: { ...blankTestimony(caseId), narrative: 'His wife says he called at noon, then nothing.' } }],
    violations: [{ id: uid(32), revision: 1, redacted: false, record: { case_id: caseId, kind: 'enforced_disappearance', methods: [], victims: [], perpetrators: [], place: null, start: '2024-10', end: null, description: null } }],
    changed: [
      { id: uid(31), kind: 'testimony', change: 'added' },
      { id: caseId, kind: 'case', change: 'changed' },
      { id: uid(33), kind: 'evidence', change: 'removed' },
    ],
    messages: [
      { id: 'm-1', from_desk: true, kind: 'question', text: 'Has the family filed a complaint?', in_reply_to: null, sent_at: '2024-11-04T10:00:00Z', status: 'sent' },
      { id: 'm-2', from_desk: false, kind: 'answer', text: 'Yes, on 6 November, at the prosecutor’s office.', in_reply_to: 'm-1', sent_at: '2024-11-07T08:00:00Z', status: 'received' },
    ],
    history: [
      { state: 'new', note: null, revision: 1 },
      { state: 'in_review', note: 'Checking with the family.', revision: 2 },
    ],
    versions: [first, version(3, '2024-11-20T11:00:00Z', 0, first.bundle_id)],
  });
  view.row.waiting_messages = 1;
  return view;
}

/** A case from a device revoked since it sent it. */
function detention(): DeskCaseView {
  const id = uid(3);
  return received(id, uid(903), OLD_LAPTOP, 'revoked', blankCase({ title: 'Ill-treatment in pre-trial detention, Cairo', country: 'EG', incident_start: '2024-02' }), {
    violations: [{ id: uid(41), revision: 1, redacted: false, record: { case_id: uid(903), kind: 'ill_treatment', methods: [], victims: [], perpetrators: [], place: null, start: null, end: null, description: null } }],
    history: [
      { state: 'new', note: null, revision: 1 },
      { state: 'in_review', note: null, revision: 2 },
      { state: 'accepted', note: 'Documented enough for a communication.', revision: 3 },
    ],
    versions: [version(9, '2024-03-01T12:00:00Z')],
  });
}

/** What the next pull brings. */
function beating(): DeskCaseView {
  return received(uid(4), uid(904), TUNIS, 'approved', blankCase({ title: 'Beating of a journalist at a demonstration', urgent: true, country: 'LB' }), {
    violations: [{ id: uid(51), revision: 1, redacted: false, record: { case_id: uid(904), kind: 'ill_treatment', methods: ['beating'], victims: [], perpetrators: [], place: null, start: null, end: null, description: null } }],
    versions: [version(6, '2025-01-12T07:30:00Z')],
  });
}

export const seedCases = (): DeskCaseView[] => [arrest(), disappearance(), detention()];
export const seedArriving = (): DeskCaseView[] => [beating()];

export const seedDevices = (): DeskDevice[] => [
  { ...TUNIS, status: 'approved', revoked_at: null, last_sequence: 5, gaps: [3, 4], last_contact: '2025-01-10T09:20:00Z' },
  { ...SFAX, status: 'approved', revoked_at: null, last_sequence: 3, gaps: [], last_contact: '2024-11-20T11:20:00Z' },
  { ...OLD_LAPTOP, status: 'revoked', revoked_at: REVOKED_AT, last_sequence: 9, gaps: [], last_contact: '2024-03-01T12:20:00Z' },
];

export const DESK_WARNINGS = ['device a1b2c3d4e5f60718: bundles 3, 4 never arrived'];
export const ROOT_WORDS = 'harvest olive tundra ribbon falcon mosaic';
export const ROOT_FINGERPRINT = fakeSha('omct-root');

/** Figures with a cell under 5 (no number) in three dimensions and two countries. */
export const seedStats = (): StatsCell[] => [
  { country: 'TN', quarter: '2024-Q2', dimension: 'violation', value: 'torture', victims: 7 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'violation', value: 'arbitrary_detention', victims: null },
  { country: 'TN', quarter: '2024-Q4', dimension: 'violation', value: 'torture', victims: 5 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'vulnerability', value: 'woman', victims: 6 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'vulnerability', value: 'child', victims: null },
  { country: 'TN', quarter: '2024-Q2', dimension: 'institution', value: 'police', victims: 8 },
  { country: 'EG', quarter: '2024-Q1', dimension: 'violation', value: 'ill_treatment', victims: 9 },
];
