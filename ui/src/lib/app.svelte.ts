// Where the app stands (what the installation is for; first run, locked,
// unlocked; the same for OMCT's desk) and the one way to lock: drop the
// vault's and the desk's data from the interface first, then tell the
// backend. Any call that answers "locked" leads to the same place.

import { api } from './backend';
import { AppError, toAppError } from './errors';
import { applyDeskWords, applyLanguage, applyNeutral } from './i18n.svelte';
import { desk } from './desk.svelte';
import { session } from './session.svelte';
import type { AppMode, AppState, DamageNotice, DemoInfo, LockReason, MemoryNotice } from './types';

export type Phase =
  | 'loading'
  /** Nothing here yet: documenting cases, or OMCT's desk? */
  | 'choose-mode'
  | 'first-run'
  | 'locked'
  | 'unlocked'
  /** Desk mode, no desk made yet. */
  | 'desk-setup'
  | 'desk-locked'
  | 'desk-unlocked'
  | 'unavailable';

export const app = $state({
  phase: 'loading' as Phase,
  /** What this installation is for, once known. */
  mode: null as AppMode | null,
  version: '',
  demo: null as DemoInfo | null,
  autoLockMinutes: 0,
  /** Why the lock screen is showing, when it was not the person's choice. */
  lockReason: null as LockReason | null,
  /** A failure to reach the backend or to lock, for the lock screen. */
  problem: null as AppError | null,
  /** The panic-wipe dialog is open (the shortcut or Settings opened it). */
  wipeOpen: false,
  /**
   * A backup was restored as this computer's vault but did not open (the
   * vault's passphrase was wrong, or checking found a problem): the lock
   * screen says so.
   */
  restoreProblem: null as AppError | null,
  /** What this computer may write of memory to disk. */
  memory: null as MemoryNotice | null,
  /** What unlock found wrong with the open vault. */
  damage: null as DamageNotice | null,
});

export function applyState(state: AppState): void {
  app.version = state.version;
  app.demo = state.demo;
  app.autoLockMinutes = state.auto_lock_minutes;
  app.memory = state.memory;
  app.damage = state.damage;
  applyNeutral(state.neutral);
  applyLanguage(state.language);
  app.mode = effectiveMode(state);
  applyDeskWords(app.mode === 'desk');
  app.phase = phaseOf(app.mode, state);
}

/**
 * The mode chosen at first run; an installation made before the choice
 * existed, with a vault, documents cases. A desk folder found without a
 * choice (a desk made by `temoin desk`, opened in the app for the first
 * time) still asks: the officer says it is the desk, and it opens.
 */
export function effectiveMode(state: AppState): AppMode | null {
  return state.mode ?? (state.vault_exists ? 'field' : null);
}

function phaseOf(mode: AppMode | null, state: AppState): Phase {
  if (mode === null) return 'choose-mode';
  if (mode === 'desk') return !state.desk_exists ? 'desk-setup' : state.desk_unlocked ? 'desk-unlocked' : 'desk-locked';
  return !state.vault_exists ? 'first-run' : state.unlocked ? 'unlocked' : 'locked';
}

export async function refreshState(): Promise<void> {
  try {
    applyState(await api().appState());
    app.problem = null;
  } catch (e) {
    app.problem = toAppError(e);
    app.phase = 'unavailable';
  }
}

/** Shows the lock screen and forgets everything from the vault and the desk. */
export function lockInterface(reason: LockReason | null): void {
  session.clear();
  desk.clear();
  if (app.phase === 'desk-unlocked' || (app.phase === 'loading' && app.mode === 'desk')) app.phase = 'desk-locked';
  else if (app.phase === 'unlocked' || app.phase === 'loading') app.phase = 'locked';
  app.lockReason = reason;
}

/** The backend's `locked` event. A panic wipe also ends the vault: ask where we stand. */
export function lockedByBackend(reason: LockReason): void {
  lockInterface(reason);
  if (reason === 'panic') void refreshState();
}

/**
 * The panic wipe: forget everything first (as on lock), then have the
 * backend destroy the vault, then show where we stand (the first-run
 * screen). Throws the backend's error, after showing the state it left.
 */
export async function wipeVault(): Promise<void> {
  lockInterface(null);
  app.restoreProblem = null;
  try {
    await api().panicWipe();
  } finally {
    await refreshState();
    app.lockReason = null;
  }
}

/** The Lock button: forget first, then ask the backend to lock (the vault and the desk alike). */
export async function lockNow(): Promise<void> {
  lockInterface(null);
  try {
    await api().vaultLock();
  } catch (e) {
    app.problem = toAppError(e);
  }
}

/**
 * For every failed call: the AppError to show, and a lock of the
 * interface when the backend says the vault is locked.
 */
export function failure(e: unknown): AppError {
  const error = toAppError(e);
  if (error.code === 'locked') lockInterface('idle');
  return error;
}
