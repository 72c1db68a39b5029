// The test handle of the fake backend (and of `vite dev`): where to start,
// what the next call answers, and what the store holds. Not part of the
// backend's API.

import type { Backend } from '../backend';
import type { AppMode, AppState, DragDrop, DuressOutcome, ErrorCode, ItemId, LockReason, OutboxRow } from '../types';
import { script, type Command } from './command';
import { emit, listeners } from './events';
import { acknowledge, ENROLL_SERVER, ROOT_MISMATCH } from './handover';
import { makeDesk } from './desk';
import { deskWrites } from './messages';
import { seed } from './seed';
import { renew, state, vault } from './state';
import { createVault, wipeVault } from './vault';

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
  /** What the computer may write of memory to disk (no risk by default). */
  memory?: AppState['memory'];
  /** What unlock finds wrong with the vault (nothing by default). */
  damage?: AppState['damage'];
  /** OMCT's desk accepts each delivered bundle by itself, a few steps later (`vite dev`). */
  autoAcknowledge?: boolean;
  /** What the installation is for: a field installation unless said (null: not chosen yet). */
  mode?: AppMode | null;
  /** OMCT's desk in the desk folder, with its received cases, devices and figures (mock/desk-seed.ts). */
  desk?: 'none' | 'locked' | 'unlocked';
  deskPassphrase?: string;
}

/** A delivered submission of the open store: the one named, or the latest delivered. */
function delivered(bundleId?: string): OutboxRow {
  const waiting = vault().outbox.filter((r) => r.status === 'delivered' && (bundleId === undefined || r.bundle_id === bundleId));
  const row = waiting.pop();
  if (!row) throw new Error(`mock: no delivered submission${bundleId ? ` ${bundleId}` : ''} for OMCT's desk to open`);
  return row;
}

/** What opens the fake desk unless a test says otherwise. */
export const DESK_PASSPHRASE = 'desk passphrase for the omct office';

export const mock = {
  reset(options: MockOptions = {}): void {
    const { delay = 0, language = 'en', demo = null, neutral = false, seedOnCreate = false, autoAcknowledge = false } = options;
    renew({ delay, language, demo, neutral, seedOnCreate, autoAcknowledge });
    if (options.memory) state.memory = { ...options.memory };
    if (options.damage) state.damage = { ...options.damage };
    for (const set of Object.values(listeners)) set.clear();
    if (options.vault === 'locked' || options.vault === 'unlocked') {
      createVault(options.passphrase ?? 'correct horse battery staple');
      if (options.vault === 'unlocked') state.open = state.vaults.get(state.passphrase) ?? null;
      if (options.seed) seed();
    }
    if (options.enrolled) state.device = { ...state.device, enrolled: true, server: ENROLL_SERVER };
    if (options.mode !== undefined) state.mode = options.mode;
    if (options.desk === 'locked' || options.desk === 'unlocked') {
      state.desk = makeDesk(options.deskPassphrase ?? DESK_PASSPHRASE, true);
      state.deskOpen = options.desk === 'unlocked';
    }
  },

  /** The next call of `name` is refused with `code`, and changes nothing. */
  fail(name: Command, code: ErrorCode, message = ''): void {
    script(name, { error: code, message });
  },
  /** The next call of `name` answers `value`, and changes nothing. */
  answer<K extends Command>(name: K, value: Awaited<ReturnType<Backend[K]>>): void {
    script(name, { value });
  },
  /** The vault destroys itself, as the wrong-passphrase limit makes it do. */
  wipe: wipeVault,
  /** An import cannot read these files. */
  cannotRead(...paths: string[]): void {
    for (const p of paths) state.unreadable.add(p);
  },
  /** The next enrollment finds a server whose OMCT key is not the one the code names (refused as the backend does). */
  failEnrollKey(): void {
    script('enroll', { error: 'untrustworthy', message: ROOT_MISMATCH });
  },
  /** The next delivery attempt fails, for this reason. */
  failDelivery(reason: string): void {
    state.deliveryError = reason;
  },
  /**
   * OMCT's desk opens a delivered submission (the latest, unless named),
   * verifies it and accepts it: the submission becomes `acknowledged`
   * (received by OMCT), with a custody entry, as when the server relays the
   * desk's signed acknowledgement.
   */
  acknowledge(bundleId?: string): void {
    acknowledge(vault(), delivered(bundleId), null);
  },
  /** OMCT's desk writes to the device about a case (a question by default): it arrives unread. */
  deskMessage(caseId: ItemId, text: string, kind = 'question'): string {
    return deskWrites(caseId, text, kind).id;
  },
  /** OMCT's desk opens a delivered submission and refuses it, for these reasons: it becomes `flagged`. */
  flag(reasons: string[], bundleId?: string): void {
    acknowledge(vault(), delivered(bundleId), reasons);
  },
  /** The custody log no longer verifies. */
  breakCustody(problems: string[]): void {
    state.custodyProblems = problems;
  },
  /** What the next "choose files" dialog returns. */
  pickFilesNext(paths: string[]): void {
    state.picked = paths;
  },
  pickFolderNext(folder: string | null): void {
    state.folder = folder;
  },
  /** Locks as the backend does on idle or panic (the desk too). */
  lockFromBackend(reason: LockReason = 'idle'): void {
    state.open = null;
    state.deskOpen = false;
    emit(listeners.locked, reason);
  },
  dragDrop(event: DragDrop): void {
    emit(listeners.drag, event);
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
  get duress(): DuressOutcome | null {
    return state.duress?.outcome ?? null;
  },
  get touches(): number {
    return state.touches;
  },
  /** The mode chosen, as settings.json keeps it. */
  get mode(): AppMode | null {
    return state.mode;
  },
  /** Whether the desk is open in the backend. */
  get deskOpen(): boolean {
    return state.deskOpen;
  },
  /** Folders cases were exported to from the desk, and files the figures were written to. */
  get deskExports(): readonly string[] {
    return state.desk?.exports ?? [];
  },
  get statsExports(): readonly string[] {
    return state.desk?.statsExports ?? [];
  },
  /** The commands called, by their Rust names. */
  get calls(): readonly string[] {
    return state.calls;
  },
  /** Whether the vault's own store still holds this item. */
  holds(id: ItemId): boolean {
    return state.vaults.get(state.passphrase)?.items.has(id) ?? false;
  },
};
