// The fake's evidence: an import that reports progress file by file, SVG
// thumbnails, working copies, and the custody log.

import type { EvidenceRecord, ImportDone, ItemId, Operation } from '../types';
import { photoCapture } from './seed';
import { vaultCommand } from './command';
import { emit, later, listeners } from './events';
import { fakeSha, get, newId, ofCase, put } from './records';
import { clone, state, vault } from './state';

const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf', mp3: 'audio/mpeg', mp4: 'video/mp4', txt: 'text/plain',
};

function mediaType(path: string): string {
  return MEDIA_TYPES[path.toLowerCase().split('.').pop() ?? ''] ?? 'application/octet-stream';
}

function thumbnail(label: string, hue: number): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240"><rect width="320" height="240" fill="hsl(${hue},30%,70%)"/><circle cx="160" cy="110" r="50" fill="hsl(${hue},30%,45%)"/><rect x="60" y="180" width="200" height="24" fill="hsl(${hue},30%,35%)"/><title>${label.replace(/[<>&"]/g, '')}</title></svg>`;
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

function evidence(caseId: ItemId, name: string | null, media_type: string, size: number, sha256: string): EvidenceRecord {
  return {
    case_id: caseId, description: null, original_name: name, media_type, size, sha256, captured_at: null,
    collected_by: null, collected_on: null, source: null, tags: [], capture: null, derived_from: null,
  };
}

/** Reads the files one step apart; a file scripted unreadable (`mock.cannotRead`) fails. */
export const evidenceImport = vaultCommand('evidenceImport', async (caseId, paths) => {
  get(caseId, 'case');
  const job = newId();
  const size = 1_000_000;
  const imported: ItemId[] = [];
  const failed: ImportDone['failed'] = [];
  const count = paths.length;
  paths.forEach((path, index) => {
    later(() => {
      if (!state.open) return;
      emit(listeners.progress, { job, index, count, bytes_done: size / 2, bytes_total: size });
      if (state.unreadable.has(path)) {
        failed.push({ index, code: 'io', message: `file ${index + 1} could not be read` });
        return;
      }
      const record = evidence(caseId, path.split(/[\\/]/).pop() ?? null, mediaType(path), size, fakeSha(path));
      if (record.media_type.startsWith('image/')) record.capture = photoCapture('Canon', 'EOS 2000D', 320, 240);
      imported.push(put(null, 'evidence', record, record.sha256));
      emit(listeners.progress, { job, index, count, bytes_done: size, bytes_total: size });
    }, index + 1);
  });
  later(() => {
    if (state.open) emit(listeners.done, { job, imported, failed });
  }, count + 1);
  return job;
});

export const evidenceGet = vaultCommand('evidenceGet', async (id) => {
  const record = get<EvidenceRecord>(id, 'evidence');
  const facts = record.media_type.startsWith('audio/') ? ['duration: 00:03:12', 'channels: 2'] : [];
  return { id, revision: vault().items.get(id)?.revision ?? 1, record, facts };
});

export const evidenceThumbnail = vaultCommand('evidenceThumbnail', async (id) => {
  const record = get<EvidenceRecord>(id, 'evidence');
  if (!record.media_type.startsWith('image/')) return null;
  return thumbnail(record.original_name ?? 'image', record.derived_from ? 0 : 200);
});

/** A working copy: metadata stripped if asked, the regions recorded. */
export const evidenceRedact = vaultCommand('evidenceRedact', async (id, regions, cover, stripMetadata) => {
  const original = get<EvidenceRecord>(id, 'evidence');
  const width = original.capture?.width ?? 1;
  const height = original.capture?.height ?? 1;
  const pixels = regions.map((r) => ({ x: r.x * width, y: r.y * height, w: r.w * width, h: r.h * height }));
  const operations: Operation[] = stripMetadata ? [{ op: 'strip_metadata' }] : [];
  if (regions.length) operations.push({ op: cover === 'black' ? 'black_out' : 'blur', regions: pixels });
  const sha256 = fakeSha(`${id}-${state.calls.length}`);
  const copy = evidence(original.case_id, null, 'image/jpeg', Math.round(original.size * 0.8), sha256);
  copy.capture = stripMetadata ? null : original.capture;
  copy.derived_from = { original: id, original_sha256: original.sha256, operations };
  return put(null, 'evidence', copy, sha256);
});

export const custodyLog = vaultCommand('custodyLog', async (caseId, item) => {
  const v = vault();
  const mine = new Set(caseId ? [caseId, ...ofCase(caseId)] : []);
  const entries = v.custody.filter((r) => (item ? r.item === item : !caseId || r.item === null || mine.has(r.item)));
  return { verified: state.custodyProblems.length === 0, problems: [...state.custodyProblems], entries: clone(entries) };
});
