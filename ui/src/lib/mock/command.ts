// How the fake's commands are made: each call is logged by its Rust name,
// and an outcome a test scripted replaces the next call.

import type { Backend } from '../backend';
import { AppError } from '../errors';
import { clone, state, vault, type Scripted } from './state';

/** The names of the backend's commands (its async functions). */
export type Command = {
  [K in keyof Backend]: Backend[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Backend];

/** The next call of `name` answers `outcome` instead, and changes nothing. */
export function script(name: Command, outcome: Scripted): void {
  state.script.set(name, [...(state.script.get(name) ?? []), outcome]);
}

/**
 * A command that answers whether the vault is open or not; `needs` (the
 * open vault by default when true) is checked first, before any scripted
 * answer, as the backend's own refusal would come first.
 */
export function command<K extends Command>(name: K, body: Backend[K], needs: boolean | (() => unknown) = false): Backend[K] {
  // Not async itself: the body's promise is returned as it is, so a call
  // settles after as many steps as the real one would.
  const run = (...args: unknown[]): Promise<unknown> => {
    state.calls.push(name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    try {
      if (needs === true) vault();
      else if (needs) needs();
    } catch (e) {
      return Promise.reject(e);
    }
    const next = state.script.get(name)?.shift();
    if (next && 'error' in next) return Promise.reject(new AppError(next.error, next.message));
    if (next) return Promise.resolve(clone(next.value));
    return (body as (...a: unknown[]) => Promise<unknown>)(...args);
  };
  return run as unknown as Backend[K];
}

/** A command on the vault's contents: a missing or locked vault refuses it. */
export function vaultCommand<K extends Command>(name: K, body: Backend[K]): Backend[K] {
  return command(name, body, true);
}
