// The fake's records: stored by id with a revision, every change in the
// custody log.

import { AppError } from '../errors';
import type { Entry, ItemId } from '../types';
import { clone, vault, type Stored, type Vault } from './state';

export const newId = (): ItemId => crypto.randomUUID();

/** 64 hex digits that look like a SHA-256 and are the same for the same seed. */
export function fakeSha(seed: string): string {
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const ch of seed + round) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

export function log(v: Vault, action: string, item: ItemId | null, detail: string | null = null, sha256: string | null = null): void {
  const time = new Date(Date.UTC(2025, 0, 1) + v.custody.length * 60_000).toISOString();
  v.custody.push({ seq: v.custody.length, time, action, item, revision: null, sha256, detail });
}

/** A copy of a stored record, or `not_found`. */
export function get<T>(id: ItemId, kind?: Stored['kind']): T {
  const stored = vault().items.get(id);
  if (!stored || (kind && stored.kind !== kind)) throw new AppError('not_found', `item ${id} not found`);
  return clone(stored.record as T);
}

/** Stores a record, new (id null) or a new revision of one; `sha256` is logged. */
export function put(id: ItemId | null, kind: Stored['kind'], value: unknown, sha256: string | null = null): ItemId {
  const v = vault();
  if (id === null) {
    const created = newId();
    v.items.set(created, { kind, revision: 1, record: clone(value) });
    log(v, 'create', created, null, sha256);
    return created;
  }
  const stored = v.items.get(id);
  if (!stored || stored.kind !== kind) throw new AppError('not_found', `item ${id} not found`);
  stored.revision += 1;
  stored.record = clone(value);
  log(v, 'edit', id);
  return id;
}

export function remove(ids: Iterable<ItemId>): void {
  const v = vault();
  for (const id of ids) {
    v.items.delete(id);
    log(v, 'delete', id);
  }
}

/** Copies of the stored records of a kind that `keep` keeps, oldest first. */
export function rows<T>(kind: Stored['kind'], keep: (r: T) => boolean = () => true): Entry<T>[] {
  return [...vault().items].flatMap(([id, s]) =>
    s.kind === kind && keep(s.record as T) ? [{ id, revision: s.revision, record: clone(s.record as T) }] : [],
  );
}

/** The records that belong to a case (their `case_id`). */
export function ofCase(caseId: ItemId): ItemId[] {
  return [...vault().items].flatMap(([id, s]) => ((s.record as { case_id?: ItemId | null }).case_id === caseId ? [id] : []));
}
