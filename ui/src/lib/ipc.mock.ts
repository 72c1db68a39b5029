// An in-memory fake of the Rust backend with the same exported API as
// ipc.ts, so that screens can be built and tested without Rust. It is used
// by Vitest and by `vite dev` outside the Tauri window; production builds
// never include it. It follows the backend's rules closely enough to show
// the interface's error paths (locked vault, missing consent, not enrolled).

import { AppError } from './errors';
import type {
  AnyRecord,
  AppState,
  Case,
  CaseDetail,
  CaseFilter,
  CaseSummary,
  Consent,
  Cover,
  CustodyRow,
  CustodyView,
  DeliveryState,
  DeviceInfo,
  DragDrop,
  Entry,
  EvidenceDetail,
  EvidenceRecord,
  EvidenceSummary,
  ExportResult,
  ImportDone,
  ImportProgress,
  ItemId,
  LockReason,
  Operation,
  OutboxRow,
  Person,
  RecordKind,
  Region,
  Strength,
  Unsubscribe,
  Vocabulary,
  Withdrawal,
} from './types';

// --- state -----------------------------------------------------------------

interface Stored {
  kind: RecordKind | 'case' | 'evidence';
  revision: number;
  record: unknown;
}

interface MockState {
  vaultExists: boolean;
  unlocked: boolean;
  passphrase: string;
  language: string;
  autoLock: number;
  demo: AppState['demo'];
  items: Map<ItemId, Stored>;
  order: ItemId[];
  custody: CustodyRow[];
  outbox: OutboxRow[];
  device: DeviceInfo;
  delay: number;
  picked: string[];
  folder: string | null;
  custodyProblems: string[];
  seedOnCreate: boolean;
  touches: number;
  calls: string[];
}

const VOCABULARY: Vocabulary = {
  roles: ['victim', 'witness', 'alleged_perpetrator', 'defender', 'examiner', 'interpreter', 'relative', 'source', 'other'],
  vulnerabilities: ['child', 'woman', 'lgbtiq', 'migrant', 'indigenous', 'human_rights_defender', 'person_with_disability'],
  violation_types: ['torture', 'ill_treatment', 'enforced_disappearance', 'arbitrary_detention', 'summary_execution', 'threats_to_defenders', 'other'],
  methods: ['beating', 'suspension', 'electric_shock', 'asphyxiation', 'sexual_violence', 'burns', 'stress_positions', 'sleep_deprivation', 'solitary_confinement', 'threats', 'mock_execution', 'humiliation', 'denial_of_medical_care', 'deprivation_of_food_or_water', 'forced_nudity', 'other'],
  place_types: ['police_station', 'prison', 'pretrial_detention_centre', 'military_facility', 'intelligence_facility', 'immigration_detention', 'psychiatric_institution', 'unofficial_place', 'vehicle', 'public_space', 'private_home', 'other'],
  consent_scopes: ['share_with_omct', 'litigation', 'publication', 'anonymised_statistics'],
  consent_methods: ['oral', 'written', 'audio_recorded', 'video_recorded', 'other'],
  case_statuses: ['open', 'under_review', 'submitted', 'closed'],
  genders: ['female', 'male', 'non_binary', 'other', 'undisclosed'],
  follow_up_statuses: ['open', 'in_progress', 'done', 'cancelled'],
  follow_up_kinds: ['medical', 'psychological', 'legal', 'social_assistance', 'urgent_appeal', 'relocation', 'other'],
  institutions: ['police', 'military', 'intelligence', 'prison_staff', 'gendarmerie', 'paramilitary', 'judiciary', 'non_state_armed_group', 'private_security', 'other', 'unknown'],
  involvements: ['direct', 'ordered', 'complicit', 'acquiesced', 'unknown'],
  perpetrator_kinds: ['individual', 'unit'],
};

function fresh(): MockState {
  return {
    vaultExists: false,
    unlocked: false,
    passphrase: '',
    language: 'en',
    autoLock: 5,
    demo: null,
    items: new Map(),
    order: [],
    custody: [],
    outbox: [],
    device: { key_id: 'RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3', enrolled: false, server: null, proxy: null },
    delay: 0,
    picked: ['/home/defender/Pictures/injury-gps.jpg'],
    folder: '/media/usb-stick',
    custodyProblems: [],
    seedOnCreate: false,
    touches: 0,
    calls: [],
  };
}

let state: MockState = fresh();
let idCounter = 0;

type Handler<T> = (payload: T) => void;
const listeners = {
  progress: new Set<Handler<ImportProgress>>(),
  done: new Set<Handler<ImportDone>>(),
  outbox: new Set<Handler<void>>(),
  locked: new Set<Handler<LockReason>>(),
  drag: new Set<Handler<DragDrop>>(),
};

function on<T>(set: Set<Handler<T>>, handler: Handler<T>): Unsubscribe {
  set.add(handler);
  return () => set.delete(handler);
}

function emit<T>(set: Set<Handler<T>>, payload: T): void {
  for (const h of [...set]) h(payload);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function newId(): ItemId {
  idCounter += 1;
  const hex = (idCounter.toString(16) + Math.random().toString(16).slice(2)).padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function fakeSha(seed: string): string {
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const ch of seed + round) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

function later(fn: () => void, steps = 1): void {
  setTimeout(fn, state.delay * steps);
}

function log(action: string, item: ItemId | null, detail: string | null = null, sha256: string | null = null): void {
  state.custody.push({
    seq: state.custody.length,
    time: new Date(Date.UTC(2025, 0, 1) + state.custody.length * 60_000).toISOString(),
    action,
    item,
    sha256,
    detail,
  });
}

function record(name: string): void {
  state.calls.push(name);
}

function mustBeUnlocked(): void {
  if (!state.vaultExists) throw new AppError('no_vault', 'there is no vault yet');
  if (!state.unlocked) throw new AppError('locked', 'the vault is locked');
}

function get<T>(id: ItemId, kind?: Stored['kind']): T {
  const stored = state.items.get(id);
  if (!stored || (kind && stored.kind !== kind)) throw new AppError('not_found', `item ${id} not found`);
  return stored.record as T;
}

function put(id: ItemId | null, kind: Stored['kind'], value: unknown): ItemId {
  if (id !== null) {
    const stored = state.items.get(id);
    if (!stored || stored.kind !== kind) throw new AppError('not_found', `item ${id} not found`);
    stored.revision += 1;
    stored.record = clone(value);
    log('edit', id);
    return id;
  }
  const fresh = newId();
  state.items.set(fresh, { kind, revision: 1, record: clone(value) });
  state.order.push(fresh);
  log('create', fresh);
  return fresh;
}

function entries<T>(kind: Stored['kind'], keep: (r: T) => boolean): Entry<T>[] {
  const out: Entry<T>[] = [];
  for (const id of state.order) {
    const s = state.items.get(id);
    if (s && s.kind === kind && keep(s.record as T)) out.push({ id, revision: s.revision, record: clone(s.record as T) });
  }
  return out;
}

const DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;

function checkDate(field: string, value: string | null | undefined): void {
  if (value != null && !DATE.test(value)) throw new AppError('invalid_input', `${field}: not a date (YYYY, YYYY-MM or YYYY-MM-DD)`);
}

function validate(rec: AnyRecord): void {
  switch (rec.kind) {
    case 'person':
      if (!rec.record.name.trim()) throw new AppError('invalid_input', 'name: required');
      break;
    case 'testimony':
      get(rec.record.case_id, 'case');
      checkDate('interview.date', rec.record.interview.date);
      break;
    case 'consent': {
      const c = rec.record;
      get(c.case_id, 'case');
      if (!c.given_by && !c.given_by_name?.trim()) throw new AppError('invalid_input', 'given_by: one of given_by and given_by_name is required');
      if (!c.given_on) throw new AppError('invalid_input', 'given_on: required');
      checkDate('given_on', c.given_on);
      if (c.scopes.length === 0) throw new AppError('invalid_input', 'scopes: at least one scope is required');
      break;
    }
    case 'violation':
      get(rec.record.case_id, 'case');
      checkDate('start', rec.record.start);
      checkDate('end', rec.record.end);
      break;
    case 'place':
      if (!rec.record.name.trim()) throw new AppError('invalid_input', 'name: required');
      break;
    case 'perpetrator':
      if (!rec.record.name?.trim() && !rec.record.unit?.trim()) throw new AppError('invalid_input', 'name: a name or a unit is required');
      break;
    case 'follow_up':
      checkDate('due', rec.record.due);
      break;
  }
}

function covers(c: Consent, scope: string): boolean {
  if (!c.scopes.includes(scope)) return false;
  if (!c.withdrawal) return true;
  return c.withdrawal.scopes.length > 0 && !c.withdrawal.scopes.includes(scope);
}

function delivery(caseId: ItemId): DeliveryState {
  const rows = state.outbox.filter((r) => r.case_id === caseId);
  return rows.length ? rows[rows.length - 1].status : 'none';
}

function caseEvidence(caseId: ItemId): EvidenceSummary[] {
  return entries<EvidenceRecord>('evidence', (e) => e.case_id === caseId).map((e) => ({
    id: e.id,
    media_type: e.record.media_type,
    size: e.record.size,
    original_name: e.record.original_name,
    description: e.record.description,
    derived_from: e.record.derived_from?.original ?? null,
    has_preview: e.record.media_type.startsWith('image/'),
  }));
}

function thumbnail(label: string, hue: number): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240"><rect width="320" height="240" fill="hsl(${hue},30%,70%)"/><circle cx="160" cy="110" r="50" fill="hsl(${hue},30%,45%)"/><rect x="60" y="180" width="200" height="24" fill="hsl(${hue},30%,35%)"/><title>${label.replace(/[<>&"]/g, '')}</title></svg>`;
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

// --- the test handle ---------------------------------------------------------

export interface MockOptions {
  vault?: 'none' | 'locked' | 'unlocked';
  passphrase?: string;
  seed?: boolean;
  seedOnCreate?: boolean;
  delay?: number;
  enrolled?: boolean;
  demo?: AppState['demo'];
  language?: string;
}

/** Controls for tests and for `vite dev`; not part of the backend's API. */
export const mock = {
  reset(options: MockOptions = {}): void {
    state = fresh();
    for (const set of Object.values(listeners)) set.clear();
    state.delay = options.delay ?? 0;
    state.language = options.language ?? 'en';
    state.demo = options.demo ?? null;
    state.seedOnCreate = options.seedOnCreate ?? false;
    const vault = options.vault ?? 'none';
    if (vault !== 'none') {
      state.vaultExists = true;
      state.unlocked = vault === 'unlocked';
      state.passphrase = options.passphrase ?? 'correct horse battery staple';
      log('vault_created', null);
    }
    if (options.enrolled) {
      state.device = { ...state.device, enrolled: true, server: 'https://intake.omct.test' };
    }
    if (options.seed && state.vaultExists) seed();
  },
  /** Sets the files the next "choose files" dialog returns. */
  pickFilesNext(paths: string[]): void {
    state.picked = paths;
  },
  pickFolderNext(folder: string | null): void {
    state.folder = folder;
  },
  /** Locks as the backend does on idle or panic. */
  lockFromBackend(reason: LockReason = 'idle'): void {
    state.unlocked = false;
    emit(listeners.locked, reason);
  },
  dragDrop(event: DragDrop): void {
    emit(listeners.drag, event);
  },
  breakCustody(problems: string[]): void {
    state.custodyProblems = problems;
  },
  get touches(): number {
    return state.touches;
  },
  get calls(): readonly string[] {
    return state.calls;
  },
  listenerCount(): number {
    return Object.values(listeners).reduce((n, s) => n + s.size, 0);
  },
};

function seed(): void {
  const wasUnlocked = state.unlocked;
  state.unlocked = true;
  const victim = put(null, 'person', {
    name: 'Amal B.', other_names: [], pseudonym: 'A.', gender: 'female', birth_year: 1994, nationality: 'TN',
    occupation: 'student', vulnerabilities: ['woman', 'human_rights_defender'], contact: null,
  } satisfies Person);
  const caseId = put(null, 'case', {
    title: 'Arrest of three students, May 2024', summary: 'Three students arrested after a demonstration and held for four days.',
    status: 'open', urgent: true, incident_start: '2024-05', incident_end: null, country: 'TN', location: 'Tunis',
    participants: [{ person: victim, role: 'victim', note: null }], tags: [],
  } satisfies Case);
  put(null, 'testimony', {
    case_id: caseId, witness: victim,
    interview: { date: '2024-06-02', place: 'Office', interviewer: 'S. K.', people_present: [], interpreter: null, language: 'ar', circumstances: null },
    account: { background: null, arrest_and_detention: 'Arrested at night at home.', place_and_conditions: null, methods: ['beating', 'threats'], methods_described: null, perpetrators_described: null, after_release: null },
    complaints: { physical_acute: null, physical_chronic: null, psychological_acute: null, psychological_chronic: null },
    narrative: 'They came at night.',
  });
  put(null, 'violation', {
    case_id: caseId, kind: 'arbitrary_detention', methods: [], victims: [victim], perpetrators: [], place: null,
    start: '2024-05-12', end: '2024-05-16', description: null,
  });
  const evidence = newId();
  state.items.set(evidence, {
    kind: 'evidence', revision: 1,
    record: {
      case_id: caseId, description: null, original_name: 'bruise.jpg', media_type: 'image/jpeg', size: 2_345_678,
      sha256: fakeSha('bruise'), captured_at: null,
      capture: { taken_at: '2024:05:17 10:42:00 +01:00', gps: { latitude: 36.8065, longitude: 10.1815, altitude: 12 }, make: 'Samsung', model: 'SM-A125F', software: null, orientation: 1, width: 4000, height: 3000, has_xmp: false },
      derived_from: null,
    } satisfies EvidenceRecord,
  });
  state.order.push(evidence);
  log('create', evidence, null, fakeSha('bruise'));
  put(null, 'case', {
    title: 'Disappearance of a lawyer', summary: null, status: 'under_review', urgent: false, incident_start: '2023',
    incident_end: null, country: null, location: null, participants: [], tags: [],
  } satisfies Case);
  state.unlocked = wasUnlocked;
}

// --- app and vault -----------------------------------------------------------

export async function appState(): Promise<AppState> {
  record('app_state');
  return {
    version: '0.1.0-mock',
    vault_exists: state.vaultExists,
    unlocked: state.unlocked,
    language: state.language,
    auto_lock_minutes: state.autoLock,
    demo: clone(state.demo),
  };
}

export async function setLanguage(language: string): Promise<null> {
  record('set_language');
  if (!/^[a-z]{2}$/.test(language)) throw new AppError('invalid_input', 'language: unknown');
  state.language = language;
  return null;
}

const COMMON = ['password', '123456', '12345678', 'qwerty', 'azerty', 'letmein', 'motdepasse'];

export async function passphraseStrength(passphrase: string): Promise<Strength> {
  record('passphrase_strength');
  const len = [...passphrase].length;
  if (COMMON.includes(passphrase.toLowerCase())) {
    return { score: 0, guesses_log10: 1, warning: 'this_is_a_top10_password', suggestions: ['add_another_word_or_two'] };
  }
  const score = len < 8 ? 0 : len < 12 ? 1 : len < 16 ? 2 : len < 20 ? 3 : 4;
  return {
    score,
    guesses_log10: len * 1.1,
    warning: score < 2 && len > 0 ? 'a_word_by_itself_is_easy_to_guess' : null,
    suggestions: score < 3 ? ['use_a_few_words_avoid_common_phrases', 'add_another_word_or_two'] : [],
  };
}

export async function vaultCreate(passphrase: string): Promise<null> {
  record('vault_create');
  if (state.vaultExists) throw new AppError('vault_exists', 'a vault already exists');
  if (!passphrase) throw new AppError('empty_passphrase', 'the passphrase is empty');
  if ((await passphraseStrength(passphrase)).score < 3) throw new AppError('weak_passphrase', 'the passphrase is too easy to guess');
  state.vaultExists = true;
  state.unlocked = true;
  state.passphrase = passphrase;
  log('vault_created', null);
  if (state.seedOnCreate) seed();
  return null;
}

export async function vaultUnlock(passphrase: string): Promise<null> {
  record('vault_unlock');
  if (!state.vaultExists) throw new AppError('no_vault', 'there is no vault yet');
  if (!passphrase) throw new AppError('empty_passphrase', 'the passphrase is empty');
  if (passphrase !== state.passphrase) throw new AppError('wrong_passphrase', 'the passphrase opens no slot');
  state.unlocked = true;
  return null;
}

export async function vaultLock(): Promise<null> {
  record('vault_lock');
  const was = state.unlocked;
  state.unlocked = false;
  if (was) emit(listeners.locked, 'user');
  return null;
}

export async function touch(): Promise<null> {
  record('touch');
  state.touches += 1;
  return null;
}

export async function setAutoLock(minutes: number): Promise<null> {
  record('set_auto_lock');
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440) throw new AppError('invalid_input', 'minutes: out of range');
  state.autoLock = minutes;
  return null;
}

export async function ping(): Promise<number> {
  return Date.now();
}

export async function vocabulary(): Promise<Vocabulary> {
  record('vocabulary');
  return clone(VOCABULARY);
}

// --- cases and records -------------------------------------------------------

export async function caseList(filter: CaseFilter): Promise<CaseSummary[]> {
  record('case_list');
  mustBeUnlocked();
  const q = filter.query?.trim().toLowerCase() ?? '';
  const out: CaseSummary[] = [];
  for (const e of entries<Case>('case', () => true)) {
    const violations = [...new Set(entries<{ case_id: ItemId; kind: string }>('violation', (v) => v.case_id === e.id).map((v) => v.record.kind))];
    const vulnerabilities = [
      ...new Set(e.record.participants.flatMap((p) => (state.items.get(p.person)?.record as Person | undefined)?.vulnerabilities ?? [])),
    ];
    const summary: CaseSummary = {
      id: e.id,
      title: e.record.title,
      status: e.record.status,
      urgent: e.record.urgent,
      violations,
      vulnerabilities,
      delivery: delivery(e.id),
      evidence_count: caseEvidence(e.id).length,
      testimony_count: entries<{ case_id: ItemId }>('testimony', (t) => t.case_id === e.id).length,
    };
    if (q && !`${e.record.title} ${e.record.summary ?? ''} ${e.record.location ?? ''}`.toLowerCase().includes(q)) continue;
    if (filter.status && summary.status !== filter.status) continue;
    if (filter.violation && !violations.includes(filter.violation)) continue;
    if (filter.vulnerability && !vulnerabilities.includes(filter.vulnerability)) continue;
    if (filter.delivery && summary.delivery !== filter.delivery) continue;
    out.push(summary);
  }
  return out.reverse();
}

export async function caseGet(id: ItemId): Promise<CaseDetail> {
  record('case_get');
  mustBeUnlocked();
  const c = get<Case>(id, 'case');
  const stored = state.items.get(id)!;
  const mine = (r: { case_id: ItemId | null }) => r.case_id === id;
  const testimonies = entries('testimony', mine) as CaseDetail['testimonies'];
  const consents = entries('consent', mine) as CaseDetail['consents'];
  const violations = entries('violation', mine) as CaseDetail['violations'];
  const personIds = new Set<ItemId>([
    ...c.participants.map((p) => p.person),
    ...testimonies.flatMap((t) => (t.record.witness ? [t.record.witness] : [])),
    ...consents.flatMap((k) => (k.record.given_by ? [k.record.given_by] : [])),
    ...violations.flatMap((v) => v.record.victims),
  ]);
  const placeIds = new Set(violations.flatMap((v) => (v.record.place ? [v.record.place] : [])));
  return {
    id,
    revision: stored.revision,
    case: clone(c),
    people: entries<Person>('person', () => true).filter((p) => personIds.has(p.id)),
    testimonies,
    violations,
    places: (entries('place', () => true) as CaseDetail['places']).filter((p) => p.record.case_id === id || placeIds.has(p.id)),
    perpetrators: entries('perpetrator', mine) as CaseDetail['perpetrators'],
    follow_ups: entries('follow_up', mine) as CaseDetail['follow_ups'],
    consents,
    evidence: caseEvidence(id),
  };
}

export async function caseSave(id: ItemId | null, value: Case): Promise<ItemId> {
  record('case_save');
  mustBeUnlocked();
  if (!value.title.trim()) throw new AppError('invalid_input', 'title: required');
  checkDate('incident_start', value.incident_start);
  checkDate('incident_end', value.incident_end);
  if (value.country && !/^[A-Z]{2}$/.test(value.country)) throw new AppError('invalid_input', 'country: two capital letters (ISO 3166-1 alpha-2)');
  return put(id, 'case', value);
}

export async function recordSave(id: ItemId | null, value: AnyRecord): Promise<ItemId> {
  record('record_save');
  mustBeUnlocked();
  validate(value);
  return put(id, value.kind, value.record);
}

export async function recordDelete(id: ItemId): Promise<null> {
  record('record_delete');
  mustBeUnlocked();
  get(id);
  state.items.delete(id);
  state.order = state.order.filter((x) => x !== id);
  log('delete', id);
  return null;
}

export async function consentWithdraw(id: ItemId, withdrawal: Withdrawal): Promise<null> {
  record('consent_withdraw');
  mustBeUnlocked();
  const c = get<Consent>(id, 'consent');
  checkDate('withdrawal.on', withdrawal.on);
  if (withdrawal.on < c.given_on.slice(0, withdrawal.on.length)) throw new AppError('invalid_input', 'withdrawal.on: before the consent was given');
  put(id, 'consent', { ...c, withdrawal });
  return null;
}

// --- evidence ----------------------------------------------------------------

function mediaType(path: string): string {
  const ext = path.toLowerCase().split('.').pop() ?? '';
  const known: Record<string, string> = {
    jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf', mp3: 'audio/mpeg', mp4: 'video/mp4', txt: 'text/plain',
  };
  return known[ext] ?? 'application/octet-stream';
}

export async function evidenceImport(caseId: ItemId, paths: string[]): Promise<string> {
  record('evidence_import');
  mustBeUnlocked();
  get(caseId, 'case');
  if (paths.length === 0) throw new AppError('invalid_input', 'paths: no file given');
  const job = newId();
  const size = 1_000_000;
  const imported: ItemId[] = [];
  const failed: ImportDone['failed'] = [];
  paths.forEach((path, index) => {
    later(() => {
      if (!state.unlocked) return;
      emit(listeners.progress, { job, index, count: paths.length, bytes_done: size / 2, bytes_total: size });
      if (/missing|nonexistent/.test(path)) {
        failed.push({ index, code: 'io', message: `file ${index + 1} could not be read` });
        return;
      }
      const id = newId();
      const name = path.split(/[\\/]/).pop() ?? null;
      const type = mediaType(path);
      const sha = fakeSha(path);
      const rec: EvidenceRecord = {
        case_id: caseId, description: null, original_name: name, media_type: type, size, sha256: sha, captured_at: null,
        capture: type.startsWith('image/')
          ? { taken_at: '2024:05:17 10:42:00', gps: /gps/.test(path) ? { latitude: 36.8065, longitude: 10.1815, altitude: null } : null, make: 'Canon', model: 'EOS 2000D', software: null, orientation: 1, width: 320, height: 240, has_xmp: false }
          : null,
        derived_from: null,
      };
      state.items.set(id, { kind: 'evidence', revision: 1, record: rec });
      state.order.push(id);
      log('create', id, null, sha);
      imported.push(id);
      emit(listeners.progress, { job, index, count: paths.length, bytes_done: size, bytes_total: size });
    }, index + 1);
  });
  later(() => {
    if (state.unlocked) emit(listeners.done, { job, imported, failed });
  }, paths.length + 1);
  return job;
}

export async function evidenceGet(id: ItemId): Promise<EvidenceDetail> {
  record('evidence_get');
  mustBeUnlocked();
  const rec = get<EvidenceRecord>(id, 'evidence');
  const facts = rec.media_type.startsWith('audio/') ? ['duration: 00:03:12', 'channels: 2'] : [];
  return { id, revision: state.items.get(id)!.revision, record: clone(rec), facts };
}

export async function evidenceThumbnail(id: ItemId): Promise<string | null> {
  record('evidence_thumbnail');
  mustBeUnlocked();
  const rec = get<EvidenceRecord>(id, 'evidence');
  if (!rec.media_type.startsWith('image/')) return null;
  return thumbnail(rec.original_name ?? 'image', rec.derived_from ? 0 : 200);
}

export async function evidenceRedact(id: ItemId, regions: Region[], cover: Cover, stripMetadata: boolean): Promise<ItemId> {
  record('evidence_redact');
  mustBeUnlocked();
  const original = get<EvidenceRecord>(id, 'evidence');
  if (!original.media_type.startsWith('image/')) throw new AppError('invalid_input', 'only images can be redacted');
  for (const r of regions) {
    if (!(r.x >= 0 && r.y >= 0 && r.w > 0 && r.h > 0 && r.x + r.w <= 1.000001 && r.y + r.h <= 1.000001)) {
      throw new AppError('invalid_input', 'regions: a region lies outside the image');
    }
  }
  if (regions.length === 0 && !stripMetadata) throw new AppError('invalid_input', 'nothing to do: no region and metadata kept');
  const copy = newId();
  const sha = fakeSha(copy);
  const operations: Operation[] = [];
  if (stripMetadata) operations.push({ op: 'strip_metadata' });
  if (regions.length) operations.push({ op: cover === 'black' ? 'black_out' : 'blur', regions });
  state.items.set(copy, {
    kind: 'evidence', revision: 1,
    record: {
      case_id: original.case_id, description: null, original_name: null, media_type: 'image/jpeg', size: Math.round(original.size * 0.8),
      sha256: sha, captured_at: null, capture: stripMetadata ? null : clone(original.capture),
      derived_from: { original: id, original_sha256: original.sha256, operations },
    } satisfies EvidenceRecord,
  });
  state.order.push(copy);
  log('create', copy, `working copy of ${id}`, sha);
  return copy;
}

export async function custodyLog(caseId: ItemId | null, item: ItemId | null): Promise<CustodyView> {
  record('custody_log');
  mustBeUnlocked();
  let rows = state.custody;
  if (item) rows = rows.filter((r) => r.item === item);
  else if (caseId) {
    const mine = new Set([caseId, ...state.order.filter((id) => (state.items.get(id)?.record as { case_id?: ItemId })?.case_id === caseId)]);
    rows = rows.filter((r) => r.item === null || mine.has(r.item));
  }
  return { verified: state.custodyProblems.length === 0, problems: [...state.custodyProblems], entries: clone(rows) };
}

// --- handover ----------------------------------------------------------------

function advance(row: OutboxRow): void {
  const changed = () => emit(listeners.outbox, undefined);
  later(() => {
    if (state.device.server?.includes('fail')) {
      row.status = 'failed';
      row.attempts += 1;
      row.last_error = 'the intake server could not be reached (connection refused)';
      row.next_attempt_at = Math.floor(Date.now() / 1000) + 60;
      changed();
      return;
    }
    row.status = 'uploading';
    row.percent = 40;
    row.attempts += 1;
    changed();
    later(() => {
      row.percent = 100;
      row.status = 'delivered';
      row.last_error = null;
      row.receipt = { received_at: new Date(Date.UTC(2025, 0, 1, 12)).toISOString(), sha256: fakeSha(row.bundle_id), server: state.device.server ?? '' };
      log('delivered', row.case_id, `bundle ${row.bundle_id}`);
      changed();
    });
  });
}

export async function outboxList(): Promise<OutboxRow[]> {
  record('outbox_list');
  mustBeUnlocked();
  return clone(state.outbox);
}

export async function caseSubmit(caseId: ItemId): Promise<string> {
  record('case_submit');
  mustBeUnlocked();
  get(caseId, 'case');
  if (!state.device.enrolled) throw new AppError('not_enrolled', 'this device is not enrolled with OMCT yet: enroll in Settings first');
  const consents = entries<Consent>('consent', (c) => c.case_id === caseId);
  if (!consents.some((c) => covers(c.record, 'share_with_omct'))) {
    throw new AppError('consent', 'no consent in this case covers share_with_omct');
  }
  const bundleId = newId();
  const row: OutboxRow = {
    bundle_id: bundleId, case_id: caseId, status: 'queued', percent: 0, size: 123_456, attempts: 0,
    next_attempt_at: 0, last_error: null, receipt: null,
  };
  state.outbox.push(row);
  log('export_bundle', caseId, `bundle ${bundleId}`);
  emit(listeners.outbox, undefined);
  advance(row);
  return bundleId;
}

export async function outboxRetry(bundleId: string): Promise<null> {
  record('outbox_retry');
  mustBeUnlocked();
  const row = state.outbox.find((r) => r.bundle_id === bundleId);
  if (!row) throw new AppError('not_found', 'no such submission');
  row.status = 'queued';
  emit(listeners.outbox, undefined);
  advance(row);
  return null;
}

export async function caseExport(caseId: ItemId, folder: string): Promise<ExportResult> {
  record('case_export');
  mustBeUnlocked();
  get(caseId, 'case');
  if (!folder) throw new AppError('invalid_input', 'folder: required');
  const consents = entries<Consent>('consent', (c) => c.case_id === caseId);
  const withheld = consents.some((c) => covers(c.record, 'litigation')) ? [] : ['testimonies: no consent covers litigation'];
  log('export_bundle', caseId, `export to a folder`);
  return { path: `${folder}/temoin-${caseId.slice(0, 8)}.tar.age`, withheld };
}

export async function deviceInfo(): Promise<DeviceInfo> {
  record('device_info');
  mustBeUnlocked();
  return clone(state.device);
}

export async function enroll(server: string, token: string, pin: string, proxy: string | null): Promise<DeviceInfo> {
  record('enroll');
  mustBeUnlocked();
  if (!/^https:\/\/\S+$/.test(server) && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/\S*)?$/.test(server)) {
    throw new AppError('invalid_input', 'server: an https:// address is required');
  }
  if (!token.trim()) throw new AppError('invalid_input', 'token: required');
  if (!/^\d{4,8}$/.test(pin)) throw new AppError('invalid_input', 'pin: four to eight digits');
  if (token === 'expired') throw new AppError('network', 'the server refused the token: expired or already used');
  state.device = { ...state.device, enrolled: true, server, proxy };
  return clone(state.device);
}

export async function setProxy(proxy: string | null): Promise<null> {
  record('set_proxy');
  mustBeUnlocked();
  if (proxy !== null && !/^socks5h?:\/\/\S+$/.test(proxy)) throw new AppError('invalid_input', 'proxy: a socks5:// or socks5h:// address is required');
  state.device = { ...state.device, proxy };
  return null;
}

// --- events ------------------------------------------------------------------

export const onImportProgress = (handler: (p: ImportProgress) => void): Unsubscribe => on(listeners.progress, handler);
export const onImportDone = (handler: (p: ImportDone) => void): Unsubscribe => on(listeners.done, handler);
export const onOutboxChanged = (handler: () => void): Unsubscribe => on(listeners.outbox, () => handler());
export const onLocked = (handler: (reason: LockReason) => void): Unsubscribe => on(listeners.locked, handler);
export const onDragDrop = (handler: (e: DragDrop) => void): Unsubscribe => on(listeners.drag, handler);

// --- native dialogs ----------------------------------------------------------

export async function pickFiles(): Promise<string[]> {
  record('pick_files');
  return [...state.picked];
}

export async function pickFolder(): Promise<string | null> {
  record('pick_folder');
  return state.folder;
}
