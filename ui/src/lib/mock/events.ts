// What the fake window gives: the backend's events, the system's file
// dialogs (which answer what a test chose with `mock.pickFilesNext` and
// `pickFolderNext`), and the time between the steps of long work.

import type { DragDrop, ImportDone, ImportProgress, LockReason, Unsubscribe } from '../types';
import { command } from './command';
import { state } from './state';

type Handler<T> = (payload: T) => void;

export const listeners = {
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

export function emit<T>(set: Set<Handler<T>>, payload: T): void {
  for (const h of [...set]) h(payload);
}

/** Runs `fn` after `steps` steps of the fake's delay. */
export function later(fn: () => void, steps = 1): void {
  setTimeout(fn, state.delay * steps);
}

export const onImportProgress = (handler: (p: ImportProgress) => void): Unsubscribe => on(listeners.progress, handler);
export const onImportDone = (handler: (p: ImportDone) => void): Unsubscribe => on(listeners.done, handler);
export const onOutboxChanged = (handler: () => void): Unsubscribe => on(listeners.outbox, () => handler());
export const onLocked = (handler: (reason: LockReason) => void): Unsubscribe => on(listeners.locked, handler);
export const onDragDrop = (handler: (e: DragDrop) => void): Unsubscribe => on(listeners.drag, handler);

export const pickFiles = command('pickFiles', async (multiple = true) => (multiple ? [...state.picked] : state.picked.slice(0, 1)));
export const pickFolder = command('pickFolder', async () => state.folder);
