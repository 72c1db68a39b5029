// The fake's desk: OMCT's desk in desk mode, a plain store of received
// cases, devices and figures (./desk-seed.ts) that answers as the backend
// shapes its answers. Like the rest of the fake it does not judge: a
// triage move the backend would refuse, a code it would not issue, are
// scripted by the test that wants them (`mock.fail`).

import { AppError } from '../errors';
import type { DeskCaseRow, DeskCaseView, DeskMessageView, QrMatrix } from '../types';
import { command } from './command';
import { later } from './events';
import { seedArriving, seedCases, seedDevices, seedStats, DESK_WARNINGS, PHOTO_JPEG, REPORT_PDF, ROOT_FINGERPRINT, ROOT_WORDS } from './desk-seed';
import { fakeSha } from './records';
import { clone, openDesk, state, type DeskStore } from './state';

/** A desk that `passphrase` opens, holding the seed (or nothing). */
export function makeDesk(passphrase: string, seeded: boolean, server = 'https://intake.omct.test'): DeskStore {
  return {
    passphrase,
    server,
    cases: new Map((seeded ? seedCases() : []).map((c) => [c.row.id, c])),
    arriving: seeded ? seedArriving() : [],
    devices: seeded ? seedDevices() : [],
    rootFingerprint: ROOT_FINGERPRINT,
    rootWords: ROOT_WORDS,
    warnings: seeded ? [...DESK_WARNINGS] : [],
    stats: seeded ? seedStats() : [],
    exports: [],
    statsExports: [],
  };
}

/** A command on the open desk: a missing or locked desk refuses it. */
const deskCommand: typeof command = (name, body) => command(name, body, openDesk);

function find(id: string): DeskCaseView {
  const c = openDesk().cases.get(id);
  if (!c) throw new AppError('not_found', `the desk has no received case ${id}`);
  return c;
}

/** The row as the inbox shows it, with the device's answers waiting since the desk last wrote. */
function row(c: DeskCaseView): DeskCaseRow {
  const waiting = [...c.messages].reverse().findIndex((m) => m.from_desk);
  return { ...c.row, waiting_messages: waiting === -1 ? c.messages.length : waiting };
}

export const setMode = command('setMode', async (mode) => {
  state.mode = mode;
  return null;
});

/** Under `vite dev` the new desk holds the seed at once, as a new vault does. */
export const deskCreate = command('deskCreate', async (passphrase, server) => {
  state.desk = makeDesk(passphrase, state.seedOnCreate, server);
  state.deskOpen = true;
  return null;
});

export const deskUnlock = command('deskUnlock', async (passphrase) => {
  if (!state.desk) throw new AppError('not_found', 'there is no desk in this installation yet');
  if (passphrase !== state.desk.passphrase) throw new AppError('wrong_passphrase', 'wrong passphrase for this desk');
  state.deskOpen = true;
  return null;
});

/** Everything that was arriving becomes a case; the report says so in numbers. */
export const deskPull = deskCommand('deskPull', async () => {
  const d = openDesk();
  const arrived = d.arriving.splice(0);
  for (const c of arrived) d.cases.set(c.row.id, c);
  return {
    pulled: arrived.length ? arrived.length + 1 : 0,
    accepted: arrived.length,
    flagged: arrived.length ? 1 : 0,
    problems: arrived.length ? ['signature, desk'] : [],
    waiting: 0,
    messages: arrived.length ? 1 : 0,
    messages_refused: 0,
  };
});

export const deskCases = deskCommand('deskCases', async (search, triage, urgentOnly) => {
  const words = search?.trim().toLowerCase() ?? '';
  const found = (c: DeskCaseView) =>
    `${c.row.title} ${c.case?.summary ?? ''} ${c.testimonies.map((t) => t.record.narrative).join(' ')}`.toLowerCase().includes(words);
  return [...openDesk().cases.values()]
    .filter((c) => found(c) && (!triage || c.row.state === triage) && (!urgentOnly || c.row.urgent))
    .map(row)
    .sort((a, b) => Number(b.urgent) - Number(a.urgent) || b.received_at.localeCompare(a.received_at));
});

export const deskCase = deskCommand('deskCase', async (id) => {
  const c = find(id);
  return clone({ ...c, row: row(c) });
});

export const deskVerify = deskCommand('deskVerify', async (id) => {
  const versions = find(id).versions;
  const latest = versions[versions.length - 1];
  return { genuine: true, signature_valid: true, files_verified: latest?.files_verified ?? 0, custody_verified: latest?.custody_verified ?? 0, problems: [] };
});

export const deskFile = deskCommand('deskFile', async (id, path) => {
  const e = find(id).evidence.find((x) => x.path === path);
  if (!e) throw new AppError('not_found', 'the case has no such file');
  if (!e.viewable) throw new AppError('invalid_input', 'this file is not shown in the window: export the case to a folder to open it');
  return e.media_type === 'application/pdf'
    ? { media_type: 'application/pdf', data: REPORT_PDF }
    : { media_type: 'image/jpeg', data: PHOTO_JPEG };
});

export const deskMedia = deskCommand('deskMedia', async (id, path) => {
  if (!find(id).evidence.some((x) => x.path === path && x.playable)) throw new AppError('invalid_input', 'this file is not a recording');
  const url = `blob:${globalThis.location.origin}/${fakeSha(path).slice(0, 32)}`;
  mediaHeld.add(url);
  return url;
});

/** The fake's recordings the window holds (the real ones are blob: URLs). */
export const mediaHeld = new Set<string>();

export const releaseMedia = (urls: string[]): void => {
  for (const u of urls) mediaHeld.delete(u);
};

export const deskTriage = deskCommand('deskTriage', async (id, next, note) => {
  const c = find(id);
  c.history.push({ state: next, note: note?.trim() || null, revision: c.history.length + 1 });
  c.row.state = next;
  return row(c);
});

export const deskMessage = deskCommand('deskMessage', async (id, kind, text, inReplyTo) => {
  const c = find(id);
  if (!text.trim()) throw new AppError('invalid_input', 'the message is empty');
  const m: DeskMessageView = {
    id: crypto.randomUUID(), from_desk: true, kind, text, in_reply_to: inReplyTo, sent_at: new Date().toISOString(), status: 'queued',
  };
  c.messages.push(m);
  // The server takes it a step later.
  later(() => (m.status = 'sent'));
  return clone(m);
});

export const deskExport = deskCommand('deskExport', async (id, folder) => {
  const c = find(id);
  openDesk().exports.push(folder);
  return c.evidence.filter((e) => e.path).length;
});

export const deskDossier = deskCommand('deskDossier', async (id, kind, _language, folder) => {
  const c = find(id);
  const annexes = kind === 'appeal' ? 0 : c.evidence.filter((e) => e.path).length;
  if (annexes) openDesk().exports.push(`${folder}/temoin-annexes-${id.slice(0, 8)}`);
  return {
    path: `${folder}/temoin-${id.slice(0, 8)}.docx`,
    pdf_path: `${folder}/temoin-${id.slice(0, 8)}.pdf`,
    annexes_folder: annexes ? `${folder}/temoin-annexes-${id.slice(0, 8)}` : null,
    annexes,
    notes: [],
  };
});

export const deskDevices = deskCommand('deskDevices', async () => {
  const d = openDesk();
  return clone({ devices: d.devices, root_fingerprint: d.rootFingerprint, root_words: d.rootWords, warnings: d.warnings });
});

/** Not a real QR code: the three finder squares of one, and the code's hash as the rest. */
function fakeQr(text: string): QrMatrix {
  const size = 29;
  const bits = [...fakeSha(text) + fakeSha(`${text}-2`)].flatMap((h) => [...parseInt(h, 16).toString(2).padStart(4, '0')]);
  const corners = [[0, 0], [0, size - 7], [size - 7, 0]];
  const module = (r: number, c: number): boolean => {
    for (const [y, x] of corners) {
      const [dy, dx] = [r - y, c - x];
      // The square and its light separator.
      if (dy < -1 || dy > 7 || dx < -1 || dx > 7) continue;
      const ring = Math.max(Math.abs(dy - 3), Math.abs(dx - 3));
      return ring === 3 || ring <= 1;
    }
    return bits[(r * size + c) % bits.length] === '1';
  };
  return { size, dark: Array.from({ length: size * size }, (_, i) => module(Math.floor(i / size), i % size)) };
}

export const deskEnroll = deskCommand('deskEnroll', async (label, validHours) => {
  const d = openDesk();
  const code = `TEMOIN1-${fakeSha(`${label}-${d.devices.length}`).slice(0, 40).toUpperCase().replace(/(.{5})(?!$)/g, '$1-')}`;
  return {
    code, label, expires_at: new Date(Date.now() + validHours * 3_600_000).toISOString(),
    root_fingerprint: d.rootFingerprint, root_words: d.rootWords, qr: fakeQr(code),
  };
});

export const deskRevoke = deskCommand('deskRevoke', async (keyId) => {
  const device = openDesk().devices.find((x) => x.key_id === keyId);
  if (!device) throw new AppError('not_found', 'no such device');
  device.status = 'revoked';
  device.revoked_at = new Date().toISOString();
  return null;
});

export const deskStats = deskCommand('deskStats', async () => clone(openDesk().stats));

export const deskStatsExport = deskCommand('deskStatsExport', async (path) => {
  openDesk().statsExports.push(path);
  return null;
});
