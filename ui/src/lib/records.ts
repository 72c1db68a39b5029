// The record forms, described as data: which fields each kind of record has,
// in which Istanbul Protocol section, and how a form's strings become the
// record the backend validates. One form component renders them all.

import { isPartialDate } from './format';
import type {
  AnyRecord,
  Assistance,
  Case,
  CaseDetail,
  Consent,
  Detention,
  Entry,
  EvidenceSummary,
  FollowUp,
  ItemId,
  Perpetrator,
  Person,
  Place,
  Proceeding,
  RecordKind,
  Testimony,
  Violation,
  Vocabulary,
} from './types';

export type FieldKind =
  | 'short'
  | 'long'
  | 'date'
  | 'year'
  | 'country'
  | 'lines'
  | 'bool'
  | 'select'
  | 'multi'
  | 'person'
  | 'people'
  | 'perpetrators'
  | 'place'
  | 'age'
  | 'amount'
  | 'currency'
  | 'evidence'
  | 'detention'
  | 'payments';

export type VocabList = Exclude<keyof Vocabulary, never>;

export interface Field {
  /** Dotted path in the record ("interview.date"); also the label's key. */
  key: string;
  kind: FieldKind;
  list?: VocabList;
  required?: boolean;
  /** A required text that may still be empty is kept as "" (never null). */
  keepEmpty?: boolean;
  /** Taller text area, for the narrative. */
  tall?: boolean;
  testid?: string;
  /** For checkbox groups: each box gets `${testidPrefix}${code}`. */
  testidPrefix?: string;
  /** Codes of the list this field does not offer. */
  exclude?: string[];
}

export interface Section {
  /** i18n key of the section heading, or null for none. */
  title: string | null;
  /** i18n key of a one-line hint under the heading. */
  hint?: string;
  fields: Field[];
}

export type FormKind = RecordKind | 'case';

/** What list fields choose from: the vocabulary and the case's records. */
export interface FormContext {
  vocabulary: Vocabulary | null;
  people: Entry<Person>[];
  perpetrators: Entry<Perpetrator>[];
  places: Entry<Place>[];
  evidence: EvidenceSummary[];
  detentions: Entry<Detention>[];
}

export function formContext(vocabulary: Vocabulary | null, detail: CaseDetail | null): FormContext {
  return {
    vocabulary,
    people: detail?.people ?? [],
    perpetrators: detail?.perpetrators ?? [],
    places: detail?.places ?? [],
    evidence: detail?.evidence ?? [],
    detentions: detail?.detentions ?? [],
  };
}
export type DraftValue = string | boolean | string[];
export type Draft = Record<string, DraftValue>;

export const SCHEMAS: Record<FormKind, Section[]> = {
  case: [
    {
      title: null,
      fields: [
        { key: 'title', kind: 'short', required: true, testid: 'case-title' },
        { key: 'status', kind: 'select', list: 'case_statuses', required: true },
        { key: 'urgent', kind: 'bool', testid: 'case-urgent' },
        { key: 'urgent_reason', kind: 'select', list: 'urgent_reasons', testid: 'case-urgent-reason' },
        { key: 'urgent_note', kind: 'long', testid: 'case-urgent-note' },
        { key: 'incident_start', kind: 'date' },
        { key: 'incident_end', kind: 'date' },
        { key: 'country', kind: 'country', testid: 'case-country' },
        { key: 'location', kind: 'short' },
        { key: 'summary', kind: 'long' },
        { key: 'tags', kind: 'lines' },
      ],
    },
  ],
  person: [
    {
      title: null,
      fields: [
        { key: 'name', kind: 'short', required: true, testid: 'person-name' },
        { key: 'pseudonym', kind: 'short' },
        { key: 'other_names', kind: 'lines' },
        { key: 'gender', kind: 'select', list: 'genders' },
        { key: 'birth_year', kind: 'year' },
        { key: 'age_at_events', kind: 'age' },
        { key: 'nationality', kind: 'country' },
        { key: 'occupation', kind: 'short' },
        { key: 'vulnerabilities', kind: 'multi', list: 'vulnerabilities' },
        { key: 'contact', kind: 'long' },
      ],
    },
  ],
  testimony: [
    {
      title: 'section.interview',
      hint: 'section.interview_hint',
      fields: [
        { key: 'witness', kind: 'person' },
        { key: 'interview.date', kind: 'date' },
        { key: 'interview.place', kind: 'short' },
        { key: 'interview.interviewer', kind: 'short' },
        { key: 'interview.people_present', kind: 'lines' },
        { key: 'interview.interpreter', kind: 'short' },
        { key: 'interview.language', kind: 'short' },
        { key: 'interview.circumstances', kind: 'long' },
      ],
    },
    {
      title: 'section.account',
      hint: 'section.account_hint',
      fields: [
        { key: 'account.background', kind: 'long' },
        { key: 'account.arrest_and_detention', kind: 'long' },
        { key: 'account.place_and_conditions', kind: 'long' },
        { key: 'account.methods', kind: 'multi', list: 'methods' },
        { key: 'account.methods_described', kind: 'long' },
        { key: 'account.perpetrators_described', kind: 'long' },
        { key: 'account.after_release', kind: 'long' },
      ],
    },
    {
      title: 'section.complaints',
      hint: 'section.complaints_hint',
      fields: [
        { key: 'complaints.physical_acute', kind: 'long' },
        { key: 'complaints.physical_chronic', kind: 'long' },
        { key: 'complaints.psychological_acute', kind: 'long' },
        { key: 'complaints.psychological_chronic', kind: 'long' },
      ],
    },
    {
      title: 'section.narrative',
      hint: 'section.narrative_hint',
      fields: [{ key: 'narrative', kind: 'long', keepEmpty: true, tall: true, testid: 'testimony-narrative' }],
    },
  ],
  violation: [
    {
      title: null,
      fields: [
        { key: 'kind', kind: 'select', list: 'violation_types', required: true },
        { key: 'start', kind: 'date' },
        { key: 'end', kind: 'date' },
        { key: 'victims', kind: 'people' },
        { key: 'perpetrators', kind: 'perpetrators' },
        { key: 'place', kind: 'place' },
        { key: 'methods', kind: 'multi', list: 'methods' },
        { key: 'description', kind: 'long' },
      ],
    },
  ],
  place: [
    {
      title: null,
      fields: [
        { key: 'name', kind: 'short', required: true },
        { key: 'kind', kind: 'select', list: 'place_types', required: true },
        { key: 'authority', kind: 'short' },
        { key: 'country', kind: 'country' },
        { key: 'locality', kind: 'short' },
        { key: 'coordinates', kind: 'short' },
        { key: 'note', kind: 'long' },
      ],
    },
  ],
  perpetrator: [
    {
      title: null,
      fields: [
        { key: 'kind', kind: 'select', list: 'perpetrator_kinds', required: true },
        { key: 'name', kind: 'short' },
        { key: 'unit', kind: 'short' },
        { key: 'rank', kind: 'short' },
        { key: 'institution', kind: 'select', list: 'institutions', required: true },
        { key: 'involvement', kind: 'select', list: 'involvements', required: true },
        { key: 'note', kind: 'long' },
      ],
    },
  ],
  follow_up: [
    {
      title: null,
      fields: [
        { key: 'kind', kind: 'select', list: 'follow_up_kinds', required: true },
        { key: 'status', kind: 'select', list: 'follow_up_statuses', required: true },
        { key: 'urgent', kind: 'bool' },
        { key: 'due', kind: 'date' },
        { key: 'note', kind: 'long' },
      ],
    },
  ],
  consent: [
    {
      title: null,
      hint: 'section.consent_hint',
      fields: [
        { key: 'given_by', kind: 'person' },
        { key: 'given_by_name', kind: 'short', testid: 'consent-name' },
        { key: 'given_on', kind: 'date', required: true, testid: 'consent-date' },
        { key: 'method', kind: 'select', list: 'consent_methods', required: true },
        { key: 'interpreter', kind: 'short' },
        { key: 'recorded_by', kind: 'short' },
        { key: 'scopes', kind: 'multi', list: 'consent_scopes', required: true, testidPrefix: 'consent-scope-' },
        { key: 'note', kind: 'long' },
      ],
    },
    {
      title: 'section.child_consent',
      hint: 'section.child_consent_hint',
      fields: [
        { key: 'guardian', kind: 'short' },
        { key: 'child_assent', kind: 'bool' },
      ],
    },
  ],
  detention: [
    {
      title: null,
      fields: [
        { key: 'person', kind: 'person', required: true, testid: 'detention-person' },
        { key: 'status', kind: 'select', list: 'detention_statuses', required: true, testid: 'detention-status' },
        { key: 'place', kind: 'place' },
        { key: 'arrested_on', kind: 'date', testid: 'detention-arrested' },
        { key: 'released_on', kind: 'date' },
        { key: 'institution', kind: 'select', list: 'institutions' },
        { key: 'authority', kind: 'short', testid: 'detention-authority' },
      ],
    },
    {
      title: 'section.charges',
      hint: 'section.charges_hint',
      fields: [
        { key: 'charges', kind: 'lines', testid: 'detention-charges' },
        { key: 'provisions', kind: 'lines' },
      ],
    },
    {
      title: 'section.safeguards',
      hint: 'section.safeguards_hint',
      fields: [
        { key: 'lawyer', kind: 'select', list: 'accesses', required: true, testid: 'detention-lawyer' },
        { key: 'family', kind: 'select', list: 'accesses', required: true },
        { key: 'doctor', kind: 'select', list: 'accesses', required: true },
        { key: 'health', kind: 'long', testid: 'detention-health' },
        { key: 'conditions', kind: 'long' },
        { key: 'note', kind: 'long' },
      ],
    },
  ],
  proceeding: [
    {
      title: null,
      hint: 'section.proceeding_hint',
      fields: [
        { key: 'stage', kind: 'select', list: 'proceeding_stages', required: true },
        { key: 'date', kind: 'date' },
        { key: 'body', kind: 'short' },
        { key: 'reference', kind: 'short' },
        { key: 'outcome', kind: 'select', list: 'proceeding_outcomes', required: true },
        { key: 'outcome_note', kind: 'long' },
        { key: 'people', kind: 'people' },
        { key: 'detention', kind: 'detention' },
        { key: 'note', kind: 'long' },
      ],
    },
  ],
  assistance: [
    {
      title: null,
      fields: [
        { key: 'beneficiary', kind: 'person', testid: 'assistance-beneficiary' },
        { key: 'needs', kind: 'multi', list: 'follow_up_kinds', required: true, exclude: ['urgent_appeal'], testidPrefix: 'assistance-need-' },
        { key: 'description', kind: 'long', testid: 'assistance-description' },
        { key: 'requested_on', kind: 'date' },
        { key: 'amount', kind: 'amount', testid: 'assistance-amount' },
        { key: 'currency', kind: 'currency', testid: 'assistance-currency' },
        { key: 'supporting', kind: 'evidence' },
        { key: 'other_support', kind: 'long' },
      ],
    },
    {
      title: 'section.decision',
      fields: [
        { key: 'decision', kind: 'select', list: 'assistance_decisions', required: true },
        { key: 'decided_on', kind: 'date' },
        { key: 'payments', kind: 'payments' },
        { key: 'outcome', kind: 'long' },
      ],
    },
  ],
};

/** Codes for these lists until the vocabulary has arrived (docs/case-model.md, 6). */
const FALLBACK_LISTS: Partial<Record<VocabList, string[]>> = {
  follow_up_kinds: ['medical', 'psychological', 'legal', 'social_assistance', 'urgent_appeal', 'relocation', 'family_support', 'security', 'other'],
  institutions: ['police', 'military', 'intelligence', 'prison_staff', 'gendarmerie', 'paramilitary', 'judiciary', 'non_state_armed_group', 'private_security', 'other', 'unknown'],
  involvements: ['direct', 'ordered', 'complicit', 'acquiesced', 'unknown'],
  perpetrator_kinds: ['individual', 'unit'],
  urgent_reasons: ['defender_at_risk', 'incommunicado_detention', 'imminent_transfer', 'health_emergency', 'death_in_custody'],
};

export function codes(vocabulary: Vocabulary | null, list: VocabList): string[] {
  return vocabulary?.[list] ?? FALLBACK_LISTS[list] ?? [];
}

/** The i18n list name for a vocabulary ("case_statuses" → "case_status"). */
export const LABEL_LIST: Record<VocabList, string> = {
  roles: 'role',
  vulnerabilities: 'vulnerability',
  violation_types: 'violation_type',
  methods: 'method',
  place_types: 'place_type',
  consent_scopes: 'consent_scope',
  consent_methods: 'consent_method',
  case_statuses: 'case_status',
  genders: 'gender',
  follow_up_statuses: 'follow_up_status',
  follow_up_kinds: 'follow_up_kind',
  institutions: 'institution',
  involvements: 'involvement',
  perpetrator_kinds: 'perpetrator_kind',
  urgent_reasons: 'urgent_reason',
  custodial_contexts: 'custodial_context',
  detention_statuses: 'detention_status',
  accesses: 'access',
  proceeding_stages: 'proceeding_stage',
  proceeding_outcomes: 'proceeding_outcome',
  assistance_decisions: 'assistance_decision',
};

export function fields(kind: FormKind): Field[] {
  return SCHEMAS[kind].flatMap((s) => s.fields);
}

// --- blank records ---------------------------------------------------------

const first = (vocabulary: Vocabulary | null, list: VocabList, fallback: string) =>
  codes(vocabulary, list)[0] ?? fallback;

export function blankCase(vocabulary: Vocabulary | null): Case {
  return {
    title: '',
    summary: null,
    status: first(vocabulary, 'case_statuses', 'open'),
    urgent: false,
    urgent_reason: null,
    urgent_note: null,
    incident_start: null,
    incident_end: null,
    country: null,
    location: null,
    participants: [],
    tags: [],
  };
}

export function blankPerson(): Person {
  return {
    name: '',
    other_names: [],
    pseudonym: null,
    gender: null,
    birth_year: null,
    age_at_events: null,
    nationality: null,
    occupation: null,
    vulnerabilities: [],
    contact: null,
  };
}

export function blankTestimony(caseId: ItemId): Testimony {
  return {
    case_id: caseId,
    witness: null,
    interview: { date: null, place: null, interviewer: null, people_present: [], interpreter: null, language: null, circumstances: null },
    account: { background: null, arrest_and_detention: null, place_and_conditions: null, methods: [], methods_described: null, perpetrators_described: null, after_release: null },
    complaints: { physical_acute: null, physical_chronic: null, psychological_acute: null, psychological_chronic: null },
    narrative: '',
  };
}

export function blankRecord(kind: RecordKind, caseId: ItemId, vocabulary: Vocabulary | null, today: string): AnyRecord {
  switch (kind) {
    case 'person':
      return { kind, record: blankPerson() };
    case 'testimony':
      return { kind, record: blankTestimony(caseId) };
    case 'violation':
      return {
        kind,
        record: {
          case_id: caseId, kind: first(vocabulary, 'violation_types', 'torture'), methods: [], victims: [], perpetrators: [],
          place: null, start: null, end: null, description: null,
        } satisfies Violation,
      };
    case 'place':
      return {
        kind,
        record: {
          case_id: caseId, name: '', kind: first(vocabulary, 'place_types', 'police_station'), authority: null, country: null,
          locality: null, coordinates: null, note: null,
        } satisfies Place,
      };
    case 'perpetrator':
      return {
        kind,
        record: {
          case_id: caseId, kind: first(vocabulary, 'perpetrator_kinds', 'individual'), name: null, unit: null, rank: null,
          institution: first(vocabulary, 'institutions', 'police'), involvement: first(vocabulary, 'involvements', 'direct'), note: null,
        } satisfies Perpetrator,
      };
    case 'follow_up':
      return {
        kind,
        record: {
          case_id: caseId, kind: first(vocabulary, 'follow_up_kinds', 'medical'), status: first(vocabulary, 'follow_up_statuses', 'open'),
          urgent: false, due: null, note: null,
        } satisfies FollowUp,
      };
    case 'consent':
      return {
        kind,
        record: {
          case_id: caseId, given_by: null, given_by_name: null, given_on: today, method: first(vocabulary, 'consent_methods', 'oral'),
          interpreter: null, recorded_by: null, scopes: [], guardian: null, child_assent: null, note: null, withdrawal: null,
        } satisfies Consent,
      };
    case 'detention':
      return {
        kind,
        record: {
          case_id: caseId, person: '', place: null, status: first(vocabulary, 'detention_statuses', 'detained'), arrested_on: null,
          released_on: null, institution: null, authority: null, charges: [], provisions: [], lawyer: 'unknown', family: 'unknown',
          doctor: 'unknown', health: null, conditions: null, note: null,
        } satisfies Detention,
      };
    case 'proceeding':
      return {
        kind,
        record: {
          case_id: caseId, stage: first(vocabulary, 'proceeding_stages', 'complaint'), date: null, body: null, reference: null,
          outcome: first(vocabulary, 'proceeding_outcomes', 'pending'), outcome_note: null, people: [], detention: null, note: null,
        } satisfies Proceeding,
      };
    case 'assistance':
      return {
        kind,
        record: {
          case_id: caseId, beneficiary: null, needs: [], description: null, requested_on: today, amount: null, currency: null,
          supporting: [], other_support: null, decision: first(vocabulary, 'assistance_decisions', 'pending'), decided_on: null,
          payments: [], outcome: null,
        } satisfies Assistance,
      };
  }
}

// --- form strings ↔ records ----------------------------------------------

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (!o[k] || typeof o[k] !== 'object') o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

const LIST_KINDS: FieldKind[] = ['multi', 'people', 'perpetrators', 'evidence'];

interface PaymentLine {
  on: string;
  amount: string;
  note: string | null;
}

/** Payments as lines of text: date, amount, then what for. */
export function paymentLines(payments: unknown): string {
  return (Array.isArray(payments) ? (payments as PaymentLine[]) : [])
    .map((p) => [p.on, p.amount, p.note ?? ''].join(' ').trim())
    .join('\n');
}

/** The lines of a payments field, read back; null for a line that does not read as date, amount, note. */
export function parsePayments(text: string): (PaymentLine | null)[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const [on, amount, ...rest] = l.split(/\s+/);
      if (!on || !isPartialDate(on) || !amount || !AMOUNT.test(amount)) return null;
      return { on, amount, note: rest.length ? rest.join(' ') : null };
    });
}

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;

/** The record as form strings: null becomes "", lists of text become lines. */
export function toDraft(kind: FormKind, record: unknown): Draft {
  const draft: Draft = {};
  for (const f of fields(kind)) {
    const v = getPath(record, f.key);
    if (f.kind === 'bool') draft[f.key] = v === true;
    else if (LIST_KINDS.includes(f.kind)) draft[f.key] = Array.isArray(v) ? v.map(String) : [];
    else if (f.kind === 'lines') draft[f.key] = Array.isArray(v) ? v.join('\n') : '';
    else if (f.kind === 'payments') draft[f.key] = paymentLines(v);
    else draft[f.key] = v === null || v === undefined ? '' : String(v);
  }
  return draft;
}

/** The form back into a record, over `base` (which keeps fields not in the form). */
export function fromDraft<T>(kind: FormKind, draft: Draft, base: T): T {
  const out = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const f of fields(kind)) {
    const v = draft[f.key];
    let value: unknown;
    if (f.kind === 'bool') value = v === true;
    else if (LIST_KINDS.includes(f.kind)) value = Array.isArray(v) ? [...new Set(v)] : [];
    else if (f.kind === 'lines') {
      value = typeof v === 'string' ? v.split('\n').map((s) => s.trim()).filter((s) => s.length > 0) : [];
    } else if (f.kind === 'payments') {
      value = typeof v === 'string' ? parsePayments(v).filter((p) => p !== null) : [];
    } else {
      const text = typeof v === 'string' ? v : '';
      // Long text keeps its spacing; a one-line field does not need it.
      const s = f.kind === 'long' ? text : text.trim();
      if (f.kind === 'year' || f.kind === 'age') value = s === '' ? null : Number(s);
      else if (f.kind === 'country' || f.kind === 'currency') value = s === '' ? null : s.toUpperCase();
      else if (s.trim() === '') value = f.keepEmpty || (f.required && f.kind === 'short') ? '' : null;
      else value = s;
    }
    setPath(out, f.key, value);
  }
  // A consent's child assent is recorded only when given.
  if (kind === 'consent' && out.child_assent !== true) out.child_assent = null;
  // A case no longer urgent has no reason for urgency.
  if (kind === 'case' && out.urgent !== true) {
    out.urgent_reason = null;
    out.urgent_note = null;
  }
  return out as T;
}

export type Problem = 'required' | 'date' | 'year' | 'country' | 'order' | 'age' | 'amount' | 'currency' | 'payments';

/** What the form can tell before asking the backend. Keys are field keys. */
export function checkDraft(kind: FormKind, draft: Draft): Record<string, Problem> {
  const problems: Record<string, Problem> = {};
  for (const f of fields(kind)) {
    const v = draft[f.key];
    const text = typeof v === 'string' ? v.trim() : '';
    const empty = Array.isArray(v) ? v.length === 0 : typeof v === 'string' ? text === '' : false;
    if (f.required && empty) problems[f.key] = 'required';
    else if (f.kind === 'date' && text && !isPartialDate(text)) problems[f.key] = 'date';
    else if (f.kind === 'year' && text && !(/^\d{4}$/.test(text) && +text >= 1900 && +text <= 2100)) problems[f.key] = 'year';
    else if (f.kind === 'country' && text && !/^[A-Za-z]{2}$/.test(text)) problems[f.key] = 'country';
    else if (f.kind === 'age' && text && !(/^\d{1,3}$/.test(text) && +text <= 130)) problems[f.key] = 'age';
    else if (f.kind === 'amount' && text && !AMOUNT.test(text)) problems[f.key] = 'amount';
    else if (f.kind === 'currency' && text && !/^[A-Za-z]{3}$/.test(text)) problems[f.key] = 'currency';
    else if (f.kind === 'payments' && parsePayments(typeof v === 'string' ? v : '').includes(null)) problems[f.key] = 'payments';
  }
  const pairs: [string, string][] = [
    ['incident_start', 'incident_end'],
    ['start', 'end'],
    ['arrested_on', 'released_on'],
    ['requested_on', 'decided_on'],
  ];
  for (const [a, b] of pairs) {
    const start = draft[a];
    const end = draft[b];
    if (typeof start === 'string' && typeof end === 'string' && start && end && !problems[a] && !problems[b]) {
      const n = Math.min(start.length, end.length);
      if (end.slice(0, n) < start.slice(0, n)) problems[b] = 'order';
    }
  }
  if (kind === 'consent' && !draft.given_by && !(typeof draft.given_by_name === 'string' && draft.given_by_name.trim())) {
    problems.given_by_name = 'required';
  }
  const given = (k: string) => typeof draft[k] === 'string' && (draft[k] as string).trim() !== '';
  if (kind === 'assistance' && (given('amount') || given('payments')) && !given('currency') && !problems.currency) {
    problems.currency = 'required';
  }
  if (kind === 'perpetrator' && !(typeof draft.name === 'string' && draft.name.trim()) && !(typeof draft.unit === 'string' && draft.unit.trim())) {
    problems.name = 'required';
  }
  return problems;
}

/** Today as YYYY-MM-DD in local time (the default date of a consent). */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A consent's scopes still in force. */
export function scopesInForce(consent: Consent): string[] {
  if (!consent.withdrawal) return consent.scopes;
  if (consent.withdrawal.scopes.length === 0) return [];
  return consent.scopes.filter((s) => !consent.withdrawal!.scopes.includes(s));
}

/** How a person is named in lists: the name, and the pseudonym beside it. */
export function personName(person: Person): string {
  return person.pseudonym ? `${person.name} (${person.pseudonym})` : person.name;
}

export function perpetratorName(p: Perpetrator): string {
  return [p.name, p.unit].filter((s) => s && s.trim()).join(', ');
}

/** How an evidence item is named in lists: its description, else its file name. */
export function evidenceName(e: EvidenceSummary): string {
  return e.description?.trim() || e.original_name?.trim() || e.id.slice(0, 8);
}

/** How a detention is named in lists: the person held, and since when. */
export function detentionName(d: Detention, people: Entry<Person>[]): string {
  const p = people.find((x) => x.id === d.person);
  const who = p ? personName(p.record) : '?';
  return d.arrested_on ? `${who} (${d.arrested_on})` : who;
}
