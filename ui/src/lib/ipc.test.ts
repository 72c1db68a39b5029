// The contract with the Rust side: command names, argument names (camelCase,
// which Tauri maps to the snake_case parameters), errors turned into
// AppError, events, dialogs. Tauri's own JavaScript is exercised through a
// fake `window.__TAURI_INTERNALS__`, the hook its `invoke` calls.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as ipc from './ipc';
import * as fake from './ipc.mock';
import type { Backend } from './backend';
import { AppError } from './errors';

// The fake must offer exactly what the real module offers, with the same
// types (checked by svelte-check through this assignment).
const typed: Backend = fake;

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[] = [];
let answer: (cmd: string, args: Record<string, unknown>) => unknown = () => ({});
const callbacks = new Map<number, (event: unknown) => void>();

beforeEach(() => {
  calls = [];
  callbacks.clear();
  answer = () => ({});
  let next = 1;
  Object.assign(window, {
    __TAURI_INTERNALS__: {
      invoke: vi.fn(async (cmd: string, args: Record<string, unknown>) => {
        calls.push({ cmd, args });
        return answer(cmd, args);
      }),
      transformCallback: (cb: (event: unknown) => void) => {
        const id = next++;
        callbacks.set(id, cb);
        return id;
      },
    },
    __TAURI_EVENT_PLUGIN_INTERNALS__: { unregisterListener: vi.fn() },
  });
});

afterEach(() => {
  delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
  delete (window as unknown as Record<string, unknown>).__TAURI_EVENT_PLUGIN_INTERNALS__;
});

describe('the one backend module', () => {
  it('has the same API as the fake backend', () => {
    const real = Object.keys(ipc).sort();
    const mine = Object.keys(fake)
      .filter((k) => k !== 'mock')
      .sort();
    expect(mine).toEqual(real);
    expect(Object.keys(typed).length).toBeGreaterThan(30);
  });

  const region = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
  const filter = { query: 'x', status: null, violation: null, vulnerability: null, delivery: null };
  const cases: [string, () => Promise<unknown>, string, Record<string, unknown>][] = [
    ['appState', () => ipc.appState(), 'app_state', {}],
    ['setLanguage', () => ipc.setLanguage('ar'), 'set_language', { language: 'ar' }],
    ['passphraseStrength', () => ipc.passphraseStrength('p'), 'passphrase_strength', { passphrase: 'p' }],
    ['vaultCreate', () => ipc.vaultCreate('p'), 'vault_create', { passphrase: 'p' }],
    ['vaultUnlock', () => ipc.vaultUnlock('p'), 'vault_unlock', { passphrase: 'p' }],
    ['vaultLock', () => ipc.vaultLock(), 'vault_lock', {}],
    ['touch', () => ipc.touch(), 'touch', {}],
    ['setAutoLock', () => ipc.setAutoLock(5), 'set_auto_lock', { minutes: 5 }],
    ['ping', () => ipc.ping(), 'ping', {}],
    ['vocabulary', () => ipc.vocabulary(), 'vocabulary', {}],
    ['caseList', () => ipc.caseList(filter), 'case_list', { filter }],
    ['caseGet', () => ipc.caseGet('c1'), 'case_get', { id: 'c1' }],
    ['caseSave', () => ipc.caseSave(null, { title: 't' } as never), 'case_save', { id: null, record: { title: 't' } }],
    ['recordSave', () => ipc.recordSave('r1', { kind: 'person', record: {} } as never), 'record_save', { id: 'r1', record: { kind: 'person', record: {} } }],
    ['recordDelete', () => ipc.recordDelete('r1'), 'record_delete', { id: 'r1' }],
    ['consentWithdraw', () => ipc.consentWithdraw('k1', { on: '2024', scopes: [], note: null }), 'consent_withdraw', { id: 'k1', withdrawal: { on: '2024', scopes: [], note: null } }],
    ['evidenceImport', () => ipc.evidenceImport('c1', ['/a.jpg']), 'evidence_import', { caseId: 'c1', paths: ['/a.jpg'] }],
    ['evidenceGet', () => ipc.evidenceGet('e1'), 'evidence_get', { id: 'e1' }],
    ['evidenceThumbnail', () => ipc.evidenceThumbnail('e1'), 'evidence_thumbnail', { id: 'e1' }],
    ['evidenceRedact', () => ipc.evidenceRedact('e1', [region], 'blur', true), 'evidence_redact', { id: 'e1', regions: [region], cover: 'blur', stripMetadata: true }],
    ['custodyLog', () => ipc.custodyLog('c1', null), 'custody_log', { caseId: 'c1', item: null }],
    ['outboxList', () => ipc.outboxList(), 'outbox_list', {}],
    ['caseSubmit', () => ipc.caseSubmit('c1'), 'case_submit', { caseId: 'c1' }],
    ['outboxRetry', () => ipc.outboxRetry('b1'), 'outbox_retry', { bundleId: 'b1' }],
    ['caseExport', () => ipc.caseExport('c1', '/media/usb', 'publication'), 'case_export', { caseId: 'c1', folder: '/media/usb', purpose: 'publication' }],
    ['caseDossier', () => ipc.caseDossier('c1', 'appeal', 'ar', '/media/usb'), 'case_dossier', { caseId: 'c1', kind: 'appeal', language: 'ar', folder: '/media/usb' }],
    ['deviceInfo', () => ipc.deviceInfo(), 'device_info', {}],
    ['enroll', () => ipc.enroll('TEMOIN1-ABCDE-FGHIJ', null), 'enroll', { code: 'TEMOIN1-ABCDE-FGHIJ', proxy: null }],
    ['setProxy', () => ipc.setProxy('socks5h://127.0.0.1:9050'), 'set_proxy', { proxy: 'socks5h://127.0.0.1:9050' }],
    ['setNeutral', () => ipc.setNeutral(true), 'set_neutral', { on: true }],
    ['clipboardCopied', () => ipc.clipboardCopied(), 'clipboard_copied', {}],
    ['panicWipe', () => ipc.panicWipe(), 'panic_wipe', {}],
    ['securitySettings', () => ipc.securitySettings(), 'security_settings', {}],
    ['setAttemptLimit', () => ipc.setAttemptLimit(5), 'set_attempt_limit', { limit: 5 }],
    ['setAttemptLimit (none)', () => ipc.setAttemptLimit(null), 'set_attempt_limit', { limit: null }],
    ['setForgetAfterDelivery', () => ipc.setForgetAfterDelivery(true), 'set_forget_after_delivery', { on: true }],
    ['caseForget', () => ipc.caseForget('c1'), 'case_forget', { caseId: 'c1' }],
    ['setDuress', () => ipc.setDuress('mine', 'spare', 'decoy'), 'set_duress', { current: 'mine', duress: 'spare', outcome: 'decoy' }],
    ['removeDuress', () => ipc.removeDuress('mine'), 'remove_duress', { current: 'mine' }],
    ['backupCreate', () => ipc.backupCreate('/media/usb', 'rec'), 'backup_create', { folder: '/media/usb', recovery: 'rec' }],
    ['backupRestore', () => ipc.backupRestore('/media/usb/b.age', 'rec', 'pass'), 'backup_restore', { file: '/media/usb/b.age', recovery: 'rec', passphrase: 'pass' }],
    ['setMode', () => ipc.setMode('desk'), 'set_mode', { mode: 'desk' }],
    ['deskCreate', () => ipc.deskCreate('p', 'https://i.test', 'sha256:aa', 'tok'), 'desk_create', { passphrase: 'p', server: 'https://i.test', pin: 'sha256:aa', deskToken: 'tok' }],
    ['deskUnlock', () => ipc.deskUnlock('p'), 'desk_unlock', { passphrase: 'p' }],
    ['deskPull', () => ipc.deskPull(), 'desk_pull', {}],
    ['deskCases', () => ipc.deskCases('arrest', 'new', true), 'desk_cases', { search: 'arrest', state: 'new', urgentOnly: true }],
    ['deskCase', () => ipc.deskCase('r1'), 'desk_case', { id: 'r1' }],
    ['deskVerify', () => ipc.deskVerify('r1'), 'desk_verify', { id: 'r1' }],
    ['deskFile', () => ipc.deskFile('r1', 'files/a.jpg'), 'desk_file', { id: 'r1', path: 'files/a.jpg' }],
    ['deskTriage', () => ipc.deskTriage('r1', 'in_review', null), 'desk_triage', { id: 'r1', state: 'in_review', note: null }],
    ['deskMessage', () => ipc.deskMessage('r1', 'question', 'q?', 'm1'), 'desk_message', { id: 'r1', kind: 'question', text: 'q?', inReplyTo: 'm1' }],
    ['deskExport', () => ipc.deskExport('r1', '/tmp/out'), 'desk_export', { id: 'r1', folder: '/tmp/out' }],
    ['deskDossier', () => ipc.deskDossier('r1', 'cat', 'fr', '/tmp/out'), 'desk_dossier', { id: 'r1', kind: 'cat', language: 'fr', folder: '/tmp/out' }],
    ['deskDevices', () => ipc.deskDevices(), 'desk_devices', {}],
    ['deskEnroll', () => ipc.deskEnroll('Lab', 72), 'desk_enroll', { label: 'Lab', validHours: 72 }],
    ['deskRevoke', () => ipc.deskRevoke('a1b2c3d4e5f60718'), 'desk_revoke', { keyId: 'a1b2c3d4e5f60718' }],
    ['deskStats', () => ipc.deskStats(), 'desk_stats', {}],
    ['deskStatsExport', () => ipc.deskStatsExport('/tmp/f.csv'), 'desk_stats_export', { path: '/tmp/f.csv' }],
  ];

  it.each(cases)('%s invokes its command with camelCase arguments', async (_name, run, cmd, args) => {
    await run();
    expect(calls).toEqual([{ cmd, args }]);
  });

  it('plays a recording from the window\'s memory: a blob of the bytes the backend gave', async () => {
    answer = () => ({ media_type: 'audio/ogg', data: btoa('OggS\u0000\u0001') });
    const made = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:tauri://localhost/0a1b');
    const revoked = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    expect(await ipc.deskMedia('r1', 'files/a.ogg')).toBe('blob:tauri://localhost/0a1b');
    expect(calls).toEqual([{ cmd: 'desk_media', args: { id: 'r1', path: 'files/a.ogg' } }]);
    const blob = made.mock.calls[0][0] as Blob;
    expect(blob.type).toBe('audio/ogg');
    expect(blob.size).toBe(6);
    ipc.releaseMedia(['blob:tauri://localhost/0a1b']);
    expect(revoked).toHaveBeenCalledWith('blob:tauri://localhost/0a1b');
    made.mockRestore();
    revoked.mockRestore();
  });

  it('turns a rejected command into an AppError with the backend code', async () => {
    answer = () => {
      throw { code: 'wrong_passphrase', message: 'the passphrase opens no slot' };
    };
    const error = await ipc.vaultUnlock('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'wrong_passphrase', message: 'the passphrase opens no slot' });
  });

  it('delivers events and unsubscribes', async () => {
    answer = (cmd) => (cmd === 'plugin:event|listen' ? 7 : null);
    const seen: string[] = [];
    const stop = ipc.onLocked((reason) => seen.push(reason));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'plugin:event|listen')).toBe(true));
    const listen = calls.find((c) => c.cmd === 'plugin:event|listen')!;
    expect(listen.args.event).toBe('locked');
    callbacks.get(listen.args.handler as number)!({ event: 'locked', id: 7, payload: { reason: 'idle' } });
    expect(seen).toEqual(['idle']);
    stop();
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'plugin:event|unlisten')).toBe(true));
    callbacks.get(listen.args.handler as number)!({ event: 'locked', id: 7, payload: { reason: 'user' } });
    expect(seen).toEqual(['idle']);
  });

  it('stops an event even when unsubscribed before listening began', async () => {
    answer = (cmd) => (cmd === 'plugin:event|listen' ? 9 : null);
    const seen: unknown[] = [];
    const stop = ipc.onImportProgress((p) => seen.push(p));
    stop();
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'plugin:event|unlisten')).toBe(true));
    const listen = calls.find((c) => c.cmd === 'plugin:event|listen')!;
    callbacks.get(listen.args.handler as number)!({ payload: { job: 'j' } });
    expect(seen).toEqual([]);
  });

  it('opens the file and folder dialogs and normalises their answers', async () => {
    answer = (_cmd, args) => ((args.options as { directory: boolean }).directory ? '/media/usb' : ['/a.jpg', '/b.pdf']);
    expect(await ipc.pickFiles()).toEqual(['/a.jpg', '/b.pdf']);
    expect(calls[0]).toMatchObject({ cmd: 'plugin:dialog|open', args: { options: { multiple: true, directory: false } } });
    expect(await ipc.pickFolder()).toBe('/media/usb');
    calls = [];
    answer = () => '/media/usb/backup.age';
    expect(await ipc.pickFiles(false)).toEqual(['/media/usb/backup.age']);
    expect(calls[0]).toMatchObject({ cmd: 'plugin:dialog|open', args: { options: { multiple: false, directory: false } } });
    answer = (_cmd, args) => ((args.options as { directory: boolean }).directory ? '/media/usb' : ['/a.jpg', '/b.pdf']);
    answer = () => null;
    expect(await ipc.pickFiles()).toEqual([]);
    expect(await ipc.pickFolder()).toBeNull();
  });
});
