// An in-memory fake of the Rust backend with the same exported API as
// ipc.ts, so that screens can be built and tested without Rust. It is used
// by Vitest and by `vite dev` outside the Tauri window; production builds
// never include it. It follows the backend's rules closely enough to show
// the interface's error paths (locked vault, missing consent, not enrolled).

import { AppError } from './errors';
import type {
  AnyRecord,
  AppState,
  BackupResult,
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
  DuressOutcome,
  Entry,
  EvidenceDetail,
  EvidenceRecord,
  EvidenceSummary,
  ExportResult,
  ForgetResult,
  ImportDone,
  ImportProgress,
  ItemId,
  LockReason,
  Operation,
  OutboxRow,
  Person,
  RecordKind,
  Region,
  SecuritySettings,
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

/** What a vault's folder holds, for the duress and backup fakes. */
interface Contents {
  items: Map<ItemId, Stored>;
  order: ItemId[];
  custody: CustodyRow[];
}

interface Backup {
  recovery: string;
  passphrase: string;
  contents: Contents;
  attemptLimit: number | null;
  forgetAfterDelivery: boolean;
}

interface MockState {
  vaultExists: boolean;
  unlocked: boolean;
  passphrase: string;
  /** Wrong passphrases in a row; the vault wipes itself at attemptLimit. */
  attemptLimit: number | null;
  failures: number;
  /** Deliver and forget: every case goes as soon as OMCT's receipt is recorded. */
  forgetAfterDelivery: boolean;
  duress: { passphrase: string; outcome: DuressOutcome } | null;
  /** The spare vault a decoy duress passphrase opens. */
  spare: Contents | null;
  /** While the spare vault is open: the real vault's contents, put aside. */
  real: Contents | null;
  /** Backup files written, by path: outside the vault, so a wipe leaves them. */
  backups: Map<string, Backup>;
  neutral: boolean;
  language: string;
  autoLock: number;
  demo: AppState['demo'];
  items: Map<ItemId, Stored>;
  order: ItemId[];
  custody: CustodyRow[];
  outbox: OutboxRow[];
  /** What each submitted case looked like when its bundle was sealed, by bundle id. */
  sealed: Map<string, string>;
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
    attemptLimit: null,
    failures: 0,
    forgetAfterDelivery: false,
    duress: null,
    spare: null,
    real: null,
    backups: new Map(),
    neutral: false,
    language: 'en',
    autoLock: 5,
    demo: null,
    items: new Map(),
    order: [],
    custody: [],
    outbox: [],
    sealed: new Map(),
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

/** The people a case's records name (as the vault's people_of). */
function peopleOf(caseId: ItemId): Set<ItemId> {
  const people = new Set<ItemId>();
  const c = state.items.get(caseId);
  if (!c || c.kind !== 'case') return people;
  for (const p of (c.record as Case).participants) people.add(p.person);
  for (const e of entries<{ case_id: ItemId; witness: ItemId | null }>('testimony', (r) => r.case_id === caseId)) {
    if (e.record.witness) people.add(e.record.witness);
  }
  for (const e of entries<{ case_id: ItemId; victims: ItemId[] }>('violation', (r) => r.case_id === caseId)) {
    for (const v of e.record.victims) people.add(v);
  }
  for (const e of entries<Consent>('consent', (r) => r.case_id === caseId)) {
    if (e.record.given_by) people.add(e.record.given_by);
  }
  return people;
}

/** The items of a case, the case itself first. */
function itemsOf(caseId: ItemId): ItemId[] {
  return [caseId, ...state.order.filter((id) => (state.items.get(id)?.record as { case_id?: ItemId | null })?.case_id === caseId)];
}

/** The case as it is now: its items, its people and their revisions. */
function fingerprint(caseId: ItemId): string {
  const ids = [...itemsOf(caseId), ...peopleOf(caseId)].sort();
  return JSON.stringify(ids.map((id) => [id, state.items.get(id)?.revision ?? 0]));
}

/** The bundle whose delivery covers the case as it is now: its latest submission, delivered and unchanged since sealed. */
function coveringBundle(caseId: ItemId): string | null {
  const rows = state.outbox.filter((r) => r.case_id === caseId);
  const latest = rows.length ? rows[rows.length - 1] : null;
  if (!latest || latest.status !== 'delivered' || !latest.receipt) return null;
  return state.sealed.get(latest.bundle_id) === fingerprint(caseId) ? latest.bundle_id : null;
}

/** Deletes a delivered case and the people only it names; the custody log and the outbox keep the receipt. */
function forgetCase(caseId: ItemId, bundleId: string): ForgetResult {
  const people = peopleOf(caseId);
  for (const other of state.order) {
    if (other !== caseId && state.items.get(other)?.kind === 'case') for (const p of peopleOf(other)) people.delete(p);
  }
  const items = itemsOf(caseId);
  for (const id of [...items, ...people]) {
    state.items.delete(id);
    log('delete', id);
  }
  const gone = new Set([...items, ...people]);
  state.order = state.order.filter((id) => !gone.has(id));
  return { bundle_id: bundleId, items: items.length, people: people.size };
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
  neutral?: boolean;
}

/** Controls for tests and for `vite dev`; not part of the backend's API. */
export const mock = {
  reset(options: MockOptions = {}): void {
    state = fresh();
    for (const set of Object.values(listeners)) set.clear();
    state.delay = options.delay ?? 0;
    state.language = options.language ?? 'en';
    state.demo = options.demo ?? null;
    state.neutral = options.neutral ?? false;
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
    lockVault();
    emit(listeners.locked, reason);
  },
  /** The backup files written so far, by path. */
  get backups(): readonly string[] {
    return [...state.backups.keys()];
  },
  get attemptLimit(): number | null {
    return state.attemptLimit;
  },
  get forgetAfterDelivery(): boolean {
    return state.forgetAfterDelivery;
  },
  /** Whether the vault still holds this item. */
  holds(id: ItemId): boolean {
    return state.items.has(id);
  },
  get duress(): DuressOutcome | null {
    return state.duress?.outcome ?? null;
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
    neutral: state.neutral,
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
  if (state.duress && passphrase === state.duress.passphrase) {
    openWithDuress();
    return null;
  }
  if (passphrase !== state.passphrase) {
    state.failures += 1;
    if (state.attemptLimit !== null && state.failures >= state.attemptLimit) wipeVault();
    throw new AppError('wrong_passphrase', 'the passphrase opens no slot');
  }
  state.failures = 0;
  state.unlocked = true;
  return null;
}

function contents(): Contents {
  return {
    items: new Map([...state.items].map(([id, stored]) => [id, clone(stored)])),
    order: [...state.order],
    custody: clone(state.custody),
  };
}

function emptyContents(): Contents {
  return { items: new Map(), order: [], custody: [] };
}

function load(c: Contents): void {
  state.items = c.items;
  state.order = c.order;
  state.custody = c.custody;
}

/** Looks exactly like a normal unlock; the interface is never told which one it was. */
function openWithDuress(): void {
  const duress = state.duress!;
  state.failures = 0;
  if (duress.outcome === 'decoy') {
    state.real = contents();
    load(state.spare ?? emptyContents());
  } else {
    // The real vault is gone; the spare, empty, is the vault from now on.
    load(emptyContents());
    state.passphrase = duress.passphrase;
    state.duress = null;
    state.spare = null;
    state.outbox = [];
  }
  state.unlocked = true;
}

/** Locks; a decoy session keeps its contents in the spare vault. */
function lockVault(): void {
  if (state.real) {
    state.spare = contents();
    load(state.real);
    state.real = null;
  }
  state.unlocked = false;
}

/** Everything of the vault goes; settings outside it (language, face) and backups stay. */
function wipeVault(): void {
  const keep = { language: state.language, neutral: state.neutral, backups: state.backups, autoLock: state.autoLock, demo: state.demo };
  const { delay, picked, folder, seedOnCreate, touches, calls } = state;
  state = { ...fresh(), ...keep, delay, picked, folder, seedOnCreate, touches, calls };
}

export async function vaultLock(): Promise<null> {
  record('vault_lock');
  const was = state.unlocked;
  lockVault();
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

export async function setNeutral(on: boolean): Promise<null> {
  record('set_neutral');
  state.neutral = on;
  return null;
}

export async function clipboardCopied(): Promise<null> {
  record('clipboard_copied');
  return null;
}

// --- seizure and coercion ----------------------------------------------------

export async function panicWipe(): Promise<null> {
  record('panic_wipe');
  // As the backend: lock, destroy (nothing to do without a vault), then say so.
  lockVault();
  wipeVault();
  emit(listeners.locked, 'panic');
  return null;
}

export async function securitySettings(): Promise<SecuritySettings> {
  record('security_settings');
  mustBeUnlocked();
  return { attempt_limit: state.attemptLimit, forget_after_delivery: state.forgetAfterDelivery };
}

export async function setAttemptLimit(limit: number | null): Promise<null> {
  record('set_attempt_limit');
  mustBeUnlocked();
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw new AppError('invalid_input', 'limit: at least 1, or none');
  state.attemptLimit = limit;
  return null;
}

export async function setForgetAfterDelivery(on: boolean): Promise<null> {
  record('set_forget_after_delivery');
  mustBeUnlocked();
  state.forgetAfterDelivery = on;
  return null;
}

export async function removeDuress(current: string): Promise<null> {
  record('remove_duress');
  mustBeUnlocked();
  if (!current) throw new AppError('empty_passphrase', 'the passphrase is empty');
  const own = "the duress passphrase is removed after unlocking with the vault's own passphrase";
  // From the spare vault, or with the duress passphrase: refused.
  if (state.real || (state.duress && current === state.duress.passphrase)) throw new AppError('invalid_input', own);
  if (current !== state.passphrase) throw new AppError('wrong_passphrase', 'the current passphrase opens no slot');
  if (!state.duress) throw new AppError('invalid_input', 'no duress passphrase is set');
  state.duress = null;
  state.spare = null;
  return null;
}

export async function setDuress(current: string, duress: string, outcome: DuressOutcome): Promise<null> {
  record('set_duress');
  mustBeUnlocked();
  if (!current || !duress) throw new AppError('empty_passphrase', 'the passphrase is empty');
  if (current !== state.passphrase && !(state.real && current === state.duress?.passphrase)) {
    throw new AppError('wrong_passphrase', 'the current passphrase opens no slot');
  }
  if (duress === current) throw new AppError('invalid_input', 'the duress passphrase must differ from the passphrase');
  if (state.duress) throw new AppError('invalid_input', 'a duress passphrase is already set');
  if ((await passphraseStrength(duress)).score < 3) throw new AppError('weak_passphrase', 'the duress passphrase is too easy to guess');
  state.duress = { passphrase: duress, outcome };
  state.spare = emptyContents();
  return null;
}

export async function backupCreate(folder: string, recovery: string): Promise<BackupResult> {
  record('backup_create');
  mustBeUnlocked();
  if (!recovery) throw new AppError('empty_passphrase', 'the recovery passphrase must not be empty');
  if (!folder.trim() || /missing|nonexistent/.test(folder)) throw new AppError('invalid_input', 'the chosen folder does not exist');
  const base = `${folder.replace(/\/+$/, '')}/temoin-backup-2025-01-01`;
  let path = `${base}.age`;
  for (let n = 2; state.backups.has(path); n++) path = `${base}-${n}.age`;
  // The real vault, whichever session is open: the backup is of the vault's folder.
  const saved = state.real ?? contents();
  state.backups.set(path, {
    recovery,
    passphrase: state.passphrase,
    contents: { items: new Map([...saved.items].map(([id, s]) => [id, clone(s)])), order: [...saved.order], custody: clone(saved.custody) },
    attemptLimit: state.attemptLimit,
    forgetAfterDelivery: state.forgetAfterDelivery,
  });
  return { path, files: saved.order.length + 2, bytes: 4096 + saved.order.length * 1_000_000 };
}

export async function backupRestore(file: string, recovery: string, passphrase: string): Promise<null> {
  record('backup_restore');
  if (state.vaultExists) throw new AppError('vault_exists', 'a vault already exists on this computer');
  const backup = state.backups.get(file);
  if (!backup) throw new AppError('io', 'the backup file cannot be read');
  if (recovery !== backup.recovery) throw new AppError('wrong_passphrase', 'the recovery passphrase does not open this backup');
  state.vaultExists = true;
  state.unlocked = false;
  state.passphrase = backup.passphrase;
  state.attemptLimit = backup.attemptLimit;
  state.forgetAfterDelivery = backup.forgetAfterDelivery;
  load({ items: new Map([...backup.contents.items].map(([id, s]) => [id, clone(s)])), order: [...backup.contents.order], custody: clone(backup.contents.custody) });
  if (/damaged/.test(file)) throw new AppError('damaged', 'the restored vault opens but 1 problem(s) were found; it was kept for examination');
  await vaultUnlock(passphrase);
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
      // Deliver and forget, when chosen: unless the case changed since it was sealed.
      if (state.forgetAfterDelivery && state.items.has(row.case_id) && coveringBundle(row.case_id) === row.bundle_id) {
        forgetCase(row.case_id, row.bundle_id);
      }
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
  state.sealed.set(bundleId, fingerprint(caseId));
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

export async function caseForget(caseId: ItemId): Promise<ForgetResult> {
  record('case_forget');
  mustBeUnlocked();
  get(caseId, 'case');
  const bundle = coveringBundle(caseId);
  if (!bundle) {
    throw new AppError(
      'invalid_input',
      "this case has no delivery receipt covering its current state (not delivered yet, or changed since): submit it and wait for OMCT's receipt first; nothing was removed",
    );
  }
  const result = forgetCase(caseId, bundle);
  emit(listeners.outbox, undefined);
  return result;
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

export async function pickFiles(multiple = true): Promise<string[]> {
  record('pick_files');
  return multiple ? [...state.picked] : state.picked.slice(0, 1);
}

export async function pickFolder(): Promise<string | null> {
  record('pick_folder');
  return state.folder;
}
