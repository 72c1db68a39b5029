// Which backend the screens talk to: the real one (ipc.ts) inside the app,
// or the in-memory fake (ipc.mock.ts) under Vitest and `vite dev` in a plain
// browser. Screens call `api().caseList(...)` and never know which.

import * as real from './ipc';

export type Backend = typeof real;

let current: Backend = real;

export function api(): Backend {
  return current;
}

export function useBackend(backend: Backend): void {
  current = backend;
}

/** True inside the Tauri window, where the real backend answers. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
