// The fake's handover: submissions that go from queued to delivered (or to
// failed, when a test says so), then, when a test says so
// (`mock.acknowledge`, `mock.flag`) or by themselves under `vite dev`,
// acknowledged or flagged by OMCT's desk; export to a folder, forgetting a
// case (only once OMCT's desk acknowledged its latest submission),
// enrollment.

import { AppError } from '../errors';
import type { EvidenceRecord, ItemId, OutboxRow } from '../types';
import { peopleOf } from './cases';
import { vaultCommand } from './command';
import { emit, later, listeners } from './events';
import { fakeSha, get, log, newId, ofCase, remove, rows } from './records';
import { clone, state, vault, type Vault } from './state';

/** Removes a case, its records and the people no other case names. */
function forget(caseId: ItemId, bundleId: string) {
  const people = peopleOf(caseId);
  for (const other of rows('case')) if (other.id !== caseId) for (const p of peopleOf(other.id)) people.delete(p);
  const items = [caseId, ...ofCase(caseId)];
  remove([...items, ...people]);
  return { bundle_id: bundleId, items: items.length, people: people.size };
}

const changed = () => emit(listeners.outbox, undefined);

/** The backend's refusal to forget a case OMCT has not confirmed receiving, word for word. */
export const NOT_ACKNOWLEDGED =
  'OMCT has not confirmed receiving this case as it is now (not sent yet, not yet opened by OMCT\'s desk, refused by it, or changed since): submit it and wait until it shows "received by OMCT"; nothing was removed';

/** When the fake's desk signs its acknowledgements. */
const ACKNOWLEDGED_AT = new Date(Date.UTC(2025, 0, 2, 9, 30)).toISOString();

/**
 * OMCT's desk opens a delivered bundle and signs its verdict, which the
 * server relays: recorded in the submission and the custody log; an
 * accepted one lets the standing policy forget the case.
 */
export function acknowledge(v: Vault, row: OutboxRow, reasons: string[] | null): void {
  const accepted = reasons === null;
  row.status = accepted ? 'acknowledged' : 'flagged';
  row.acknowledgement = { accepted, reasons: reasons ?? [], acknowledged_at: ACKNOWLEDGED_AT };
  log(v, accepted ? 'acknowledged' : 'flagged', row.case_id, `bundle ${row.bundle_id}`);
  // Deliver and forget, when chosen: on OMCT's word, not the server's receipt.
  if (accepted && state.forgetAfterDelivery && state.open === v && v.items.has(row.case_id)) forget(row.case_id, row.bundle_id);
  changed();
}

/** One delivery attempt, a step later: fails if a test said so (`mock.failDelivery`). */
function attempt(v: Vault, row: OutboxRow): void {
  later(() => {
    const failure = state.deliveryError;
    state.deliveryError = null;
    row.attempts += 1;
    if (failure) {
      row.status = 'failed';
      row.last_error = failure;
      row.next_attempt_at = Math.floor(Date.now() / 1000) + 60;
      return changed();
    }
    row.status = 'uploading';
    row.percent = 40;
    changed();
    later(() => {
      row.status = 'delivered';
      row.percent = 100;
      row.last_error = null;
      row.receipt = { received_at: new Date(Date.UTC(2025, 0, 1, 12)).toISOString(), sha256: fakeSha(row.bundle_id), server: state.device.server ?? '' };
      log(v, 'delivered', row.case_id, `bundle ${row.bundle_id}`);
      // Nothing is forgotten on the server's receipt: only OMCT's desk's acknowledgement lets a case go.
      changed();
      // Under `vite dev`, OMCT's desk accepts it a moment later.
      if (state.autoAcknowledge) later(() => row.status === 'delivered' && acknowledge(v, row, null), 4);
    });
  });
}

export const outboxList = vaultCommand('outboxList', async () => clone(vault().outbox));

// One bundle a submission: the backend's split of an urgent case into its
// text and then its files is tested against the real backend (tests/urgent.rs
// and the e2e run), not imitated here.
export const caseSubmit = vaultCommand('caseSubmit', async (caseId) => {
  get(caseId, 'case');
  const v = vault();
  const row: OutboxRow = {
    bundle_id: newId(), case_id: caseId, status: 'queued', percent: 0, size: 123_456, attempts: 0,
    next_attempt_at: 0, last_error: null, receipt: null, acknowledgement: null, text_only: false, figures: false,
  };
  v.outbox.push(row);
  log(v, 'export_bundle', caseId, `bundle ${row.bundle_id}`);
  changed();
  attempt(v, row);
  return row.bundle_id;
});

export const outboxRetry = vaultCommand('outboxRetry', async (bundleId) => {
  const v = vault();
  const row = v.outbox.find((r) => r.bundle_id === bundleId);
  if (row) {
    row.status = 'queued';
    attempt(v, row);
  }
  changed();
  return null;
});

/**
 * Export to a folder. Consent is not modelled here (a test scripts a
 * refusal); a publication leaves out every original, as the backend does,
 * and says so.
 */
export const caseExport = vaultCommand('caseExport', async (caseId, folder, purpose) => {
  get(caseId, 'case');
  log(vault(), 'export_bundle', caseId, `export to a folder for ${purpose}`);
  const withheld =
    purpose === 'publication'
      ? rows<EvidenceRecord>('evidence', (e) => e.case_id === caseId && !e.derived_from).map(() =>
          'evidence: an original: a publication carries working copies only',
        )
      : [];
  return { path: `${folder}/temoin-${caseId.slice(0, 8)}.tar.age`, withheld };
});

/**
 * A document drafted into a folder: a complaint or a request has its
 * originals as annexes. Consent and the drafting itself are the backend's
 * (a test scripts a refusal).
 */
export const caseDossier = vaultCommand('caseDossier', async (caseId, kind, language, folder) => {
  get(caseId, 'case');
  const annexes = kind === 'appeal' ? 0 : rows<EvidenceRecord>('evidence', (e) => e.case_id === caseId && !e.derived_from).length;
  for (let i = 0; i < annexes; i++) log(vault(), 'export_original', caseId, `annex for a ${kind} (${language})`);
  return {
    path: `${folder}/temoin-${caseId.slice(0, 8)}.docx`,
    pdf_path: `${folder}/temoin-${caseId.slice(0, 8)}.pdf`,
    annexes_folder: annexes ? `${folder}/temoin-annexes-${caseId.slice(0, 8)}` : null,
    annexes,
    notes: [],
  };
});

/**
 * Forgets the case under its latest submission's acknowledgement; refused,
 * as the backend does, unless OMCT's desk accepted that submission. (A case
 * changed since is refused by the backend too: a test scripts that one.)
 */
export const caseForget = vaultCommand('caseForget', async (caseId) => {
  get(caseId, 'case');
  const latest = vault().outbox.filter((r) => r.case_id === caseId).pop();
  if (latest?.status !== 'acknowledged') throw new AppError('invalid_input', NOT_ACKNOWLEDGED);
  const result = forget(caseId, latest.bundle_id);
  changed();
  return result;
});

export const deviceInfo = vaultCommand('deviceInfo', async () => clone(state.device));

/** The server every code the fake accepts names. */
export const ENROLL_SERVER = 'https://intake.omct.test';
/** The backend's refusals of an enrollment code, word for word. */
export const NOT_A_CODE = 'this is not a Témoin enrollment code (it should start with TEMOIN1-)';
export const ROOT_MISMATCH =
  "this server's OMCT key does not match your enrollment code: send nothing, and contact OMCT another way";

/**
 * Accepts any code that starts with `TEMOIN1-` (the fake checks no
 * checksum); a test makes the server's key not match with
 * `mock.failEnrollKey()`.
 */
export const enroll = vaultCommand('enroll', async (code, proxy) => {
  if (!/^TEMOIN1-/i.test(code.trim())) throw new AppError('invalid_input', NOT_A_CODE);
  state.device = { ...state.device, enrolled: true, server: ENROLL_SERVER, proxy: proxy?.trim() || null };
  return clone(state.device);
});

export const setProxy = vaultCommand('setProxy', async (proxy) => {
  state.device.proxy = proxy;
  return null;
});
