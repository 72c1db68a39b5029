// The data that crosses the IPC boundary, as the interface sees it.
// Field names are the JSON (snake_case) names the Rust side serialises.
// When the generated bindings exist, ipc.ts checks them against these.

export type ItemId = string;
/** "YYYY", "YYYY-MM" or "YYYY-MM-DD": as precise as the memory, no more. */
export type PartialDate = string;

export type ErrorCode =
  | 'wrong_passphrase'
  | 'empty_passphrase'
  | 'weak_passphrase'
  | 'locked'
  | 'no_vault'
  | 'vault_exists'
  | 'not_found'
  | 'invalid_input'
  | 'damaged'
  | 'not_enrolled'
  | 'network'
  | 'consent'
  | 'io'
  | 'busy'
  | 'internal';

export const ERROR_CODES: readonly ErrorCode[] = [
  'wrong_passphrase',
  'empty_passphrase',
  'weak_passphrase',
  'locked',
  'no_vault',
  'vault_exists',
  'not_found',
  'invalid_input',
  'damaged',
  'not_enrolled',
  'network',
  'consent',
  'io',
  'busy',
  'internal',
];

export interface DemoInfo {
  server: string;
  note: string;
}

export interface AppState {
  version: string;
  vault_exists: boolean;
  unlocked: boolean;
  language: string;
  auto_lock_minutes: number;
  demo: DemoInfo | null;
  /** The neutral face: a plain name ("Notes") instead of the app's. */
  neutral: boolean;
}

export interface SecuritySettings {
  /** Wrong passphrases in a row before the vault wipes itself; null: no limit. */
  attempt_limit: number | null;
  /** Every case is forgotten as soon as OMCT's receipt is recorded (unless changed since sealed). */
  forget_after_delivery: boolean;
}

/** What forgetting a delivered case removed from this computer. */
export interface ForgetResult {
  /** The submission whose receipt covers what was removed (kept in the custody log and the outbox). */
  bundle_id: string;
  /** Items of the case removed, the case itself included. */
  items: number;
  /** People removed: those no other case names. */
  people: number;
}

/** What the duress passphrase does: open a spare vault, or destroy the real one. */
export type DuressOutcome = 'decoy' | 'shred';

export interface BackupResult {
  path: string;
  files: number;
  bytes: number;
}

export interface Strength {
  score: number;
  guesses_log10: number;
  warning: string | null;
  suggestions: string[];
}

export type CaseStatus = string;
export type DeliveryState = 'none' | 'queued' | 'uploading' | 'delivered' | 'failed';

export interface Participant {
  person: ItemId;
  role: string;
  note: string | null;
}

export interface Case {
  title: string;
  summary: string | null;
  status: CaseStatus;
  urgent: boolean;
  incident_start: PartialDate | null;
  incident_end: PartialDate | null;
  country: string | null;
  location: string | null;
  participants: Participant[];
  tags: string[];
}

export interface Person {
  name: string;
  other_names: string[];
  pseudonym: string | null;
  gender: string | null;
  birth_year: number | null;
  nationality: string | null;
  occupation: string | null;
  vulnerabilities: string[];
  contact: string | null;
}

export interface Interview {
  date: PartialDate | null;
  place: string | null;
  interviewer: string | null;
  people_present: string[];
  interpreter: string | null;
  language: string | null;
  circumstances: string | null;
}

export interface Account {
  background: string | null;
  arrest_and_detention: string | null;
  place_and_conditions: string | null;
  methods: string[];
  methods_described: string | null;
  perpetrators_described: string | null;
  after_release: string | null;
}

export interface Complaints {
  physical_acute: string | null;
  physical_chronic: string | null;
  psychological_acute: string | null;
  psychological_chronic: string | null;
}

export interface Testimony {
  case_id: ItemId;
  witness: ItemId | null;
  interview: Interview;
  account: Account;
  complaints: Complaints;
  narrative: string;
}

export interface Violation {
  case_id: ItemId;
  kind: string;
  methods: string[];
  victims: ItemId[];
  perpetrators: ItemId[];
  place: ItemId | null;
  start: PartialDate | null;
  end: PartialDate | null;
  description: string | null;
}

export interface Place {
  case_id: ItemId | null;
  name: string;
  kind: string;
  authority: string | null;
  country: string | null;
  locality: string | null;
  coordinates: string | null;
  note: string | null;
}

export interface Perpetrator {
  case_id: ItemId;
  kind: string;
  name: string | null;
  unit: string | null;
  rank: string | null;
  institution: string;
  involvement: string;
  note: string | null;
}

export interface FollowUp {
  case_id: ItemId;
  kind: string;
  status: string;
  urgent: boolean;
  due: PartialDate | null;
  note: string | null;
}

export interface Withdrawal {
  on: PartialDate;
  scopes: string[];
  note: string | null;
}

export interface Consent {
  case_id: ItemId;
  given_by: ItemId | null;
  given_by_name: string | null;
  given_on: PartialDate;
  method: string;
  interpreter: string | null;
  recorded_by: string | null;
  scopes: string[];
  note: string | null;
  withdrawal: Withdrawal | null;
}

export interface Entry<T> {
  id: ItemId;
  revision: number;
  record: T;
}

export type AnyRecord =
  | { kind: 'person'; record: Person }
  | { kind: 'testimony'; record: Testimony }
  | { kind: 'violation'; record: Violation }
  | { kind: 'place'; record: Place }
  | { kind: 'perpetrator'; record: Perpetrator }
  | { kind: 'follow_up'; record: FollowUp }
  | { kind: 'consent'; record: Consent };

export type RecordKind = AnyRecord['kind'];

/**
 * The coded vocabularies. The first ten are the ones the backend promised;
 * the last four are optional until it sends them (the interface then falls
 * back to the codes of docs/case-model.md, section 6).
 */
export interface Vocabulary {
  roles: string[];
  vulnerabilities: string[];
  violation_types: string[];
  methods: string[];
  place_types: string[];
  consent_scopes: string[];
  consent_methods: string[];
  case_statuses: string[];
  genders: string[];
  follow_up_statuses: string[];
  follow_up_kinds?: string[];
  institutions?: string[];
  involvements?: string[];
  perpetrator_kinds?: string[];
}

export interface CaseFilter {
  query: string | null;
  status: string | null;
  violation: string | null;
  vulnerability: string | null;
  delivery: DeliveryState | null;
}

export interface CaseSummary {
  id: ItemId;
  title: string;
  status: CaseStatus;
  urgent: boolean;
  violations: string[];
  vulnerabilities: string[];
  delivery: DeliveryState;
  evidence_count: number;
  testimony_count: number;
}

export interface EvidenceSummary {
  id: ItemId;
  media_type: string;
  size: number;
  original_name: string | null;
  description: string | null;
  derived_from: ItemId | null;
  has_preview: boolean;
}

export interface CaseDetail {
  id: ItemId;
  revision: number;
  case: Case;
  people: Entry<Person>[];
  testimonies: Entry<Testimony>[];
  violations: Entry<Violation>[];
  places: Entry<Place>[];
  perpetrators: Entry<Perpetrator>[];
  follow_ups: Entry<FollowUp>[];
  consents: Entry<Consent>[];
  evidence: EvidenceSummary[];
}

/** Degrees; null when the file held something that is not a number. */
export interface Gps {
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
}

/** What the file's own metadata says; every field may be absent. */
export interface Capture {
  taken_at?: string | null;
  gps?: Gps | null;
  make?: string | null;
  model?: string | null;
  software?: string | null;
  orientation?: number | null;
  width?: number | null;
  height?: number | null;
  has_xmp?: boolean;
  format?: string | null;
  duration_seconds?: number | null;
  sample_rate?: number | null;
  channels?: number | null;
  pages?: number | null;
  author?: string | null;
  title?: string | null;
  problem?: string | null;
}

/** What was done to make a working copy, in order. */
export type Operation =
  | { op: 'strip_metadata' }
  | { op: 'black_out'; regions: unknown[] }
  | { op: 'blur'; regions: unknown[] };

export interface Derivation {
  original: ItemId;
  original_sha256: string;
  operations: Operation[];
}

export interface EvidenceRecord {
  case_id: ItemId;
  description: string | null;
  original_name: string | null;
  media_type: string;
  size: number;
  sha256: string;
  captured_at: string | null;
  collected_by?: string | null;
  collected_on?: PartialDate | null;
  source?: string | null;
  tags?: string[];
  capture: Capture | null;
  derived_from: Derivation | null;
}

export interface EvidenceDetail {
  id: ItemId;
  revision: number;
  record: EvidenceRecord;
  facts: string[];
}

/** A rectangle as fractions (0..1) of the upright preview image. */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Cover = 'black' | 'blur';

export interface CustodyRow {
  seq: number;
  time: string;
  action: string;
  item: ItemId | null;
  revision?: number | null;
  sha256: string | null;
  detail: string | null;
}

export interface CustodyView {
  verified: boolean;
  problems: string[];
  entries: CustodyRow[];
}

export interface Receipt {
  received_at: string;
  sha256: string;
  server: string;
}

export interface OutboxRow {
  bundle_id: string;
  case_id: ItemId;
  status: DeliveryState;
  percent: number;
  size: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  receipt: Receipt | null;
}

export interface DeviceInfo {
  key_id: string;
  enrolled: boolean;
  server: string | null;
  proxy: string | null;
}

export interface ExportResult {
  path: string;
  withheld: string[];
}

export interface ImportProgress {
  job: string;
  index: number;
  count: number;
  bytes_done: number;
  bytes_total: number;
}

export interface ImportFailure {
  index: number;
  code: ErrorCode;
  message: string;
}

export interface ImportDone {
  job: string;
  imported: ItemId[];
  failed: ImportFailure[];
}

export type LockReason = 'user' | 'idle' | 'panic';

export interface DragDrop {
  type: 'enter' | 'over' | 'drop' | 'leave';
  paths: string[];
  /** CSS pixels in the window, when the platform tells. */
  position: { x: number; y: number } | null;
}

export type Unsubscribe = () => void;
