// The one module that talks to the Rust backend. No other file may import
// `@tauri-apps/*` or the generated bindings (a test enforces it): screens
// call these typed functions, which resolve with data or throw an AppError.
// ipc.mock.ts exports the same API over an in-memory fake.

import { commands, events, type AnyRecord_Deserialize, type CaseFilter_Deserialize, type Case_Deserialize, type Withdrawal_Deserialize } from '../bindings';
import { getCurrentWebview, type DragDropEvent } from '@tauri-apps/api/webview';
import { open } from '@tauri-apps/plugin-dialog';
import { toAppError } from './errors';
import { fromBase64 } from './format';
import type {
  AnyRecord,
  AppMode,
  AppState,
  BackupResult,
  Case,
  CaseDetail,
  CaseFilter,
  CaseSummary,
  Cover,
  CustodyView,
  DeskCaseRow,
  DeskCaseView,
  DeskCheck,
  DeskCode,
  DeskDevices,
  DeskFileView,
  DeskMessageView,
  DeskPullReport,
  DeviceInfo,
  DossierKind,
  DossierResult,
  DragDrop,
  DuressOutcome,
  EvidenceDetail,
  ExportPurpose,
  ExportResult,
  ForgetResult,
  ImportDone,
  ImportProgress,
  ItemId,
  LockReason,
  Loose,
  MessageView,
  OutboxRow,
  Region,
  SecuritySettings,
  StatsCell,
  Strength,
  UnreadMessages,
  Unsubscribe,
  Vocabulary,
  Withdrawal,
} from './types';

// Every command goes through the bindings tauri-specta generates from the
// Rust commands (src/bindings.ts, checked for drift by a Rust test): names,
// argument names and result types are the Rust side's own. The interface's
// types (./types) are derived from the same bindings, with vocabulary codes
// widened to strings (`Loose`); `codes` hands them back to the commands,
// which TypeScript still checks field by field.
const codes = <T>(value: Loose<T>): T => value as T;

type Outcome<T> = { status: 'ok'; data: T } | { status: 'error'; error: unknown };

async function unwrap<T>(pending: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await pending;
  } catch (reason) {
    throw toAppError(reason);
  }
  if (outcome.status === 'error') throw toAppError(outcome.error);
  return outcome.data;
}

async function plain<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (reason) {
    throw toAppError(reason);
  }
}

/** Subscribes at once; the returned function may be called before listening began. */
function subscribe<T>(
  start: (cb: (event: { payload: T }) => void) => Promise<() => void>,
  handler: (payload: T) => void,
): Unsubscribe {
  let stop: (() => void) | null = null;
  let cancelled = false;
  start((e) => {
    if (!cancelled) handler(e.payload);
  }).then(
    (unlisten) => {
      if (cancelled) unlisten();
      else stop = unlisten;
    },
    () => {},
  );
  return () => {
    cancelled = true;
    stop?.();
  };
}

// --- app and vault -------------------------------------------------------

export const appState = (): Promise<AppState> =>
  unwrap(commands.appState()).then((s) => ({ ...s, demo: s.demo ?? null }));
export const setLanguage = (language: string): Promise<null> => unwrap(commands.setLanguage(language));
export const passphraseStrength = (passphrase: string): Promise<Strength> =>
  unwrap(commands.passphraseStrength(passphrase)).then((s) => ({ ...s, guesses_log10: s.guesses_log10 ?? 0 }));
export const vaultCreate = (passphrase: string): Promise<null> => unwrap(commands.vaultCreate(passphrase));
export const vaultUnlock = (passphrase: string): Promise<null> => unwrap(commands.vaultUnlock(passphrase));
export const vaultLock = (): Promise<null> => unwrap(commands.vaultLock());
export const touch = (): Promise<null> => unwrap(commands.touch());
export const setAutoLock = (minutes: number): Promise<null> => unwrap(commands.setAutoLock(minutes));
export const ping = (): Promise<number> => plain(commands.ping());
export const vocabulary = (): Promise<Vocabulary> => plain(commands.vocabulary());
export const setNeutral = (on: boolean): Promise<null> => unwrap(commands.setNeutral(on));
/** Text was copied from the app: the backend clears the clipboard 30 s later if unchanged. */
export const clipboardCopied = (): Promise<null> => unwrap(commands.clipboardCopied());

// --- seizure and coercion (docs/threat-model.md) ---------------------------

/** Locks and destroys the vault, key slots first; then emits `locked` (panic). */
export const panicWipe = (): Promise<null> => unwrap(commands.panicWipe());
export const securitySettings = (): Promise<SecuritySettings> => unwrap(commands.securitySettings());
/** null: no limit. */
export const setAttemptLimit = (limit: number | null): Promise<null> => unwrap(commands.setAttemptLimit(limit));
/** `current` is the vault's own passphrase, asked again. */
export const setDuress = (current: string, duress: string, outcome: DuressOutcome): Promise<null> =>
  unwrap(commands.setDuress(current, duress, outcome));
/** `current` is the vault's own passphrase; refused from the spare vault. */
export const removeDuress = (current: string): Promise<null> => unwrap(commands.removeDuress(current));
/** The standing policy: forget every case as soon as OMCT's desk acknowledges (accepts) it. */
export const setForgetAfterDelivery = (on: boolean): Promise<null> => unwrap(commands.setForgetAfterDelivery(on));
export const backupCreate = (folder: string, recovery: string): Promise<BackupResult> =>
  unwrap(commands.backupCreate(folder, recovery));
/** Only when no vault exists: restores, verifies and unlocks. */
export const backupRestore = (file: string, recovery: string, passphrase: string): Promise<null> =>
  unwrap(commands.backupRestore(file, recovery, passphrase));

// --- cases and records ---------------------------------------------------

export const caseList = (filter: CaseFilter): Promise<CaseSummary[]> => unwrap(commands.caseList(codes<CaseFilter_Deserialize>(filter)));
export const caseGet = (id: ItemId): Promise<CaseDetail> => unwrap(commands.caseGet(id));
export const caseSave = (id: ItemId | null, record: Case): Promise<ItemId> => unwrap(commands.caseSave(id, codes<Case_Deserialize>(record)));
export const recordSave = (id: ItemId | null, record: AnyRecord): Promise<ItemId> =>
  unwrap(commands.recordSave(id, codes<AnyRecord_Deserialize>(record)));
export const recordDelete = (id: ItemId): Promise<null> => unwrap(commands.recordDelete(id));
export const consentWithdraw = (id: ItemId, withdrawal: Withdrawal): Promise<null> =>
  unwrap(commands.consentWithdraw(id, codes<Withdrawal_Deserialize>(withdrawal)));

// --- evidence ------------------------------------------------------------

export const evidenceImport = (caseId: ItemId, paths: string[]): Promise<string> =>
  unwrap(commands.evidenceImport(caseId, paths));
export const evidenceGet = (id: ItemId): Promise<EvidenceDetail> => unwrap(commands.evidenceGet(id));
export const evidenceThumbnail = (id: ItemId): Promise<string | null> => unwrap(commands.evidenceThumbnail(id));
export const evidenceRedact = (id: ItemId, regions: Region[], cover: Cover, stripMetadata: boolean): Promise<ItemId> =>
  unwrap(commands.evidenceRedact(id, regions, cover, stripMetadata));
export const custodyLog = (caseId: ItemId | null, item: ItemId | null): Promise<CustodyView> =>
  unwrap(commands.custodyLog(caseId, item));

// --- handover ------------------------------------------------------------

export const outboxList = (): Promise<OutboxRow[]> => unwrap(commands.outboxList());
export const caseSubmit = (caseId: ItemId): Promise<string> => unwrap(commands.caseSubmit(caseId));
export const outboxRetry = (bundleId: string): Promise<null> => unwrap(commands.outboxRetry(bundleId));
/**
 * Seals the case to OMCT's keys in a new file in `folder`, for `purpose`:
 * only what consent covers for it goes in, and a publication takes working
 * copies only (what was left out comes back in `withheld`).
 */
export const caseExport = (caseId: ItemId, folder: string, purpose: ExportPurpose): Promise<ExportResult> =>
  unwrap(commands.caseExport(caseId, folder, purpose));
export const caseDossier = (caseId: ItemId, kind: DossierKind, language: string, folder: string): Promise<DossierResult> =>
  unwrap(commands.caseDossier(caseId, kind, language, folder));
/**
 * Deletes a case OMCT received from this computer, keeping OMCT's receipt and
 * acknowledgement (custody log, outbox). Refused (`invalid_input`) unless
 * OMCT's desk acknowledged (accepted) a bundle of the case as it is now: a
 * server's receipt alone is not enough. Emits `outbox-changed`.
 */
export const caseForget = (caseId: ItemId): Promise<ForgetResult> => unwrap(commands.caseForget(caseId));
export const deviceInfo = (): Promise<DeviceInfo> => unwrap(commands.deviceInfo());
/** The messages with OMCT's desk about a case, oldest first. */
export const messagesList = (caseId: ItemId): Promise<MessageView[]> => unwrap(commands.messagesList(caseId));
/** How many messages from OMCT's desk are unread, and in which cases. */
export const messagesUnread = (): Promise<UnreadMessages> => unwrap(commands.messagesUnread());
/** Marks a case's messages as read; emits `outbox-changed` when some were unread. */
export const messagesMarkRead = (caseId: ItemId): Promise<number> => unwrap(commands.messagesMarkRead(caseId));
/**
 * Answers a message from OMCT's desk: signed, sealed to OMCT, recorded in
 * the custody log, sent at the next sync. Refused (`invalid_input`) when the
 * text is empty or too long.
 */
export const messageAnswer = (messageId: string, text: string): Promise<MessageView> =>
  unwrap(commands.messageAnswer(messageId, text));
/**
 * Enrolls this device with the enrollment code OMCT gave (one line,
 * `TEMOIN1-…`; dashes, spaces and line breaks do not matter). Refused
 * (`invalid_input`) when the code is mistyped, before any connection; a
 * server whose OMCT key does not match the code is refused too.
 */
export const enroll = (code: string, proxy: string | null): Promise<DeviceInfo> => unwrap(commands.enroll(code, proxy));
export const setProxy = (proxy: string | null): Promise<null> => unwrap(commands.setProxy(proxy));

// --- OMCT's desk (the same app in desk mode) -------------------------------

/** Chosen once, at first run; refused once a store of the other mode exists here. */
export const setMode = (mode: AppMode): Promise<null> => unwrap(commands.setMode(mode));
/**
 * Makes the desk and opens it: OMCT's keys sealed with `passphrase`, the
 * recipient list published on the intake server at `server` (https),
 * checked against `pin`, with the desk token (both from `intake init`).
 */
export const deskCreate = (passphrase: string, server: string, pin: string, deskToken: string): Promise<null> =>
  unwrap(commands.deskCreate(passphrase, server, pin, deskToken));
export const deskUnlock = (passphrase: string): Promise<null> => unwrap(commands.deskUnlock(passphrase));
/** Fetches and opens what arrived; a bundle that does not verify is flagged, never a case. */
export const deskPull = (): Promise<DeskPullReport> => unwrap(commands.deskPull());
/** The inbox, urgent first then the latest received; empty choices are null. */
export const deskCases = (search: string | null, state: string | null, urgentOnly: boolean): Promise<DeskCaseRow[]> =>
  unwrap(commands.deskCases(search, state, urgentOnly));
export const deskCase = (id: string): Promise<DeskCaseView> => unwrap(commands.deskCase(id));
/** The case checked again from the store against the device's key. */
export const deskVerify = (id: string): Promise<DeskCheck> => unwrap(commands.deskVerify(id));
/** An image (re-encoded as JPEG by the backend) or a PDF of a case, base64; its view is recorded. */
export const deskFile = (id: string, path: string): Promise<DeskFileView> => unwrap(commands.deskFile(id, path));
/**
 * A recording of a case, decrypted by the backend into memory (its view
 * recorded), as a `blob:` URL the player reads from this window's memory.
 * WebKitGTK's player takes no custom scheme; a blob stays in memory, never
 * in a file. Give the URL back with `releaseMedia` when done.
 */
export const deskMedia = (id: string, path: string): Promise<string> =>
  unwrap(commands.deskMedia(id, path)).then((f) =>
    URL.createObjectURL(new Blob([fromBase64(f.data)], { type: f.media_type })),
  );
/** Lets go of recordings `deskMedia` made: the window's memory frees them. */
export const releaseMedia = (urls: string[]): void => {
  for (const u of urls) URL.revokeObjectURL(u);
};
/** Refused (`invalid_input`) unless the move is one the triage order allows (lib/triage.ts). */
export const deskTriage = (id: string, state: string, note: string | null): Promise<DeskCaseRow> =>
  unwrap(commands.deskTriage(id, state, note));
/** Signed by the desk, sealed to the device that sent the case only. */
export const deskMessage = (id: string, kind: string, text: string, inReplyTo: string | null): Promise<DeskMessageView> =>
  unwrap(commands.deskMessage(id, kind, text, inReplyTo));
/** Writes the case, decrypted, into a new folder (an absolute path); answers the files verified. */
export const deskExport = (id: string, folder: string): Promise<number> => unwrap(commands.deskExport(id, folder));
export const deskDossier = (id: string, kind: DossierKind, language: string, folder: string): Promise<DossierResult> =>
  unwrap(commands.deskDossier(id, kind, language, folder));
export const deskDevices = (): Promise<DeskDevices> => unwrap(commands.deskDevices());
export const deskEnroll = (label: string, validHours: number): Promise<DeskCode> => unwrap(commands.deskEnroll(label, validHours));
/** `keyId`: 16 hex digits. */
export const deskRevoke = (keyId: string): Promise<null> => unwrap(commands.deskRevoke(keyId));
export const deskStats = (): Promise<StatsCell[]> => unwrap(commands.deskStats());
/** Writes the figures as CSV to `path` (absolute). */
export const deskStatsExport = (path: string): Promise<null> => unwrap(commands.deskStatsExport(path));

// --- events --------------------------------------------------------------

export const onImportProgress = (handler: (p: ImportProgress) => void): Unsubscribe =>
  subscribe<ImportProgress>((cb) => events.importProgress.listen(cb), handler);
export const onImportDone = (handler: (p: ImportDone) => void): Unsubscribe =>
  subscribe<ImportDone>((cb) => events.importDone.listen(cb), handler);
export const onOutboxChanged = (handler: () => void): Unsubscribe =>
  subscribe<unknown>((cb) => events.outboxChanged.listen(cb), () => handler());
export const onLocked = (handler: (reason: LockReason) => void): Unsubscribe =>
  subscribe<{ reason: string } | null>(
    (cb) => events.locked.listen(cb),
    (p) => handler((p?.reason ?? 'user') as LockReason),
  );

/** Files dragged onto the window; positions in CSS pixels. */
export function onDragDrop(handler: (e: DragDrop) => void): Unsubscribe {
  return subscribe<DragDropEvent>(
    (cb) => getCurrentWebview().onDragDropEvent(cb),
    (p) => {
      const scale = window.devicePixelRatio || 1;
      const position = p.type === 'leave' ? null : { x: p.position.x / scale, y: p.position.y / scale };
      const paths = p.type === 'enter' || p.type === 'drop' ? p.paths : [];
      handler({ type: p.type, paths, position });
    },
  );
}

// --- native dialogs --------------------------------------------------------

/** Files chosen in the system dialog (one only with `multiple` false); empty when cancelled. */
export async function pickFiles(multiple = true): Promise<string[]> {
  try {
    const chosen = await open({ multiple, directory: false });
    if (chosen === null) return [];
    return Array.isArray(chosen) ? chosen : [chosen];
  } catch (reason) {
    throw toAppError(reason);
  }
}

/** A folder chosen in the system dialog (a USB stick); null when cancelled. */
export async function pickFolder(): Promise<string | null> {
  try {
    const chosen = await open({ directory: true, multiple: false });
    return typeof chosen === 'string' ? chosen : null;
  } catch (reason) {
    throw toAppError(reason);
  }
}
