// Where the app stands (first run, locked, unlocked) and the one way to
// lock: drop the vault's data from the interface first, then tell the
// backend. Any call that answers "locked" leads to the same place.

import { api } from './backend';
import { AppError, toAppError } from './errors';
import { applyLanguage } from './i18n.svelte';
import { session } from './session.svelte';
import type { AppState, DemoInfo, LockReason } from './types';

export type Phase = 'loading' | 'first-run' | 'locked' | 'unlocked' | 'unavailable';

export const app = $state({
  phase: 'loading' as Phase,
  version: '',
  demo: null as DemoInfo | null,
  autoLockMinutes: 0,
  /** Why the lock screen is showing, when it was not the person's choice. */
  lockReason: null as LockReason | null,
  /** A failure to reach the backend or to lock, for the lock screen. */
  problem: null as AppError | null,
});

export function applyState(state: AppState): void {
  app.version = state.version;
  app.demo = state.demo;
  app.autoLockMinutes = state.auto_lock_minutes;
  applyLanguage(state.language);
  app.phase = !state.vault_exists ? 'first-run' : state.unlocked ? 'unlocked' : 'locked';
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

/** Shows the lock screen and forgets everything from the vault. */
export function lockInterface(reason: LockReason | null): void {
  session.clear();
  if (app.phase === 'unlocked' || app.phase === 'loading') app.phase = 'locked';
  app.lockReason = reason;
}

/** The Lock button: forget first, then ask the backend to lock. */
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
