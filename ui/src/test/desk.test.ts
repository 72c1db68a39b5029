// OMCT's desk as a mode of the app, over the fake desk (lib/mock/desk.ts):
// the first-run choice, making and unlocking the desk, the inbox, a case
// read whole with its verification and evidence, triage, messages, export,
// devices with enrollment codes, the figures, and locking.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { within } from '@testing-library/svelte';
import { desk } from '../lib/desk.svelte';
import { DESK_PASSPHRASE } from '../lib/mock/control';
import { mediaHeld } from '../lib/mock/desk';
import type { MockOptions } from '../lib/ipc.mock';
import { fake, fireEvent, screen, start, type, waitFor } from './helpers';

// PDFs go to pdf.js in the app; here a stand-in draws nothing.
vi.mock('../lib/pdf', () => ({
  fromBase64: (data: string) => new TextEncoder().encode(data),
  openPdf: async () => ({ pages: 2, render: async () => ({ width: 300, height: 200 }), destroy: async () => {} }),
}));

const ARREST = 'Arrest at the Bab Saadoun checkpoint';
const LAWYER = 'Disappearance of a lawyer in Sfax';
const CAIRO = 'Ill-treatment in pre-trial detention, Cairo';

/** The desk open on its inbox. */
async function openDesk(options: MockOptions = {}) {
  await start({ mode: 'desk', desk: 'unlocked', ...options });
  await screen.findByTestId('desk-pull');
  await waitFor(() => expect(screen.getAllByTestId('desk-case-row').length).toBeGreaterThan(0));
}

const rows = () => screen.getAllByTestId('desk-case-row');

async function openCase(title: string) {
  const row = (await screen.findAllByTestId('desk-case-row')).find((r) => r.textContent?.includes(title));
  if (!row) throw new Error(`no row ${title}`);
  await fireEvent.click(within(row).getByRole('button'));
  await screen.findByTestId('desk-case');
}

describe('the first-run choice', () => {
  it('asks what the installation is for, and the desk choice leads to setting up the desk', async () => {
    await start({ mode: null });
    const field = await screen.findByTestId('mode-field');
    expect(field.textContent).toContain('I document cases');
    expect(screen.getByTestId('mode-desk').textContent).toContain('I receive cases at OMCT');
    // Each choice says in a sentence what it is.
    expect(document.getElementById(field.getAttribute('aria-describedby')!)?.textContent).toMatch(/encrypted vault/);
    await fireEvent.click(screen.getByTestId('mode-desk'));
    await screen.findByTestId('desk-server');
    expect(fake.mock.calls).toContain('set_mode');
    expect(fake.mock.mode).toBe('desk');
    expect(screen.getByText(/temoin intake init/)).toBeTruthy();
  });

  it('leads to the desk unlock screen when the desk folder already holds a desk', async () => {
    await start({ mode: null, desk: 'locked' });
    await fireEvent.click(await screen.findByTestId('mode-desk'));
    await screen.findByTestId('desk-unlock-passphrase');
  });

  it('leads to the vault as today when the person documents cases', async () => {
    await start({ mode: null });
    await fireEvent.click(await screen.findByTestId('mode-field'));
    await screen.findByTestId('create-passphrase');
    expect(fake.mock.mode).toBe('field');
  });

  it('is not asked of an installation made before the choice, which has a vault', async () => {
    await start({ mode: null, vault: 'locked' });
    await screen.findByTestId('unlock-passphrase');
    expect(screen.queryByTestId('mode-desk')).toBeNull();
  });
});

describe('making and unlocking the desk', () => {
  it('needs the server, the pin, the token and a strong passphrase typed twice', async () => {
    await start({ mode: 'desk' });
    await screen.findByTestId('desk-server');
    const submit = screen.getByTestId('desk-create') as HTMLButtonElement;
    type('desk-server', 'https://intake.omct.test');
    type('desk-pin', `sha256:${'a'.repeat(64)}`);
    type('desk-passphrase', 'several unrelated words for the desk');
    type('desk-passphrase-confirm', 'several unrelated words for the desk');
    await waitFor(() => expect(screen.getByText('Type the desk token.')).toBeTruthy());
    expect(submit.disabled).toBe(true);
    type('desk-token', 'desk-token-from-intake-init');
    await waitFor(() => expect(submit.disabled).toBe(false));
    await fireEvent.click(submit);
    await screen.findByTestId('desk-pull');
    expect(fake.mock.calls).toContain('desk_create');
  });

  it('says in words that a wrong passphrase is wrong, and opens with the right one', async () => {
    await start({ mode: 'desk', desk: 'locked' });
    await screen.findByTestId('desk-unlock-passphrase');
    type('desk-unlock-passphrase', 'not the passphrase');
    await fireEvent.click(screen.getByTestId('desk-unlock-submit'));
    const error = await screen.findByTestId('desk-unlock-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/does not open this desk/);
    type('desk-unlock-passphrase', DESK_PASSPHRASE);
    await fireEvent.click(screen.getByTestId('desk-unlock-submit'));
    await screen.findByTestId('desk-pull');
    expect(screen.getByTestId('desk-nav-inbox').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('desk-nav-devices')).toBeTruthy();
    expect(screen.getByTestId('desk-nav-figures')).toBeTruthy();
    expect(screen.getByTestId('language-select')).toBeTruthy();
  });
});

describe('the inbox', () => {
  it('lists urgent cases first, with their triage state, sender, versions and waiting messages', async () => {
    await openDesk();
    const all = rows();
    expect(all.map((r) => r.getAttribute('data-urgent'))).toEqual(['true', 'false', 'false']);
    expect(all[0].textContent).toContain(ARREST);
    expect(all[0].getAttribute('data-state')).toBe('new');
    expect(all[0].textContent).toContain('Field office Tunis');
    expect(all[0].textContent).toContain('Urgent');
    expect(all[0].textContent).toContain('Torture');
    const lawyer = all.find((r) => r.textContent?.includes(LAWYER))!;
    expect(lawyer.getAttribute('data-state')).toBe('in_review');
    expect(lawyer.textContent).toContain('2 versions');
    expect(within(lawyer).getByTestId('desk-waiting-badge').textContent).toContain('1 message from the device waiting');
    // A table with headers; the title is a real button.
    expect(screen.getAllByRole('columnheader').length).toBe(6);
    expect(within(all[0]).getByRole('button').textContent).toBe(ARREST);
  });

  it('narrows by triage state, by urgency and by words', async () => {
    await openDesk();
    await fireEvent.change(screen.getByTestId('desk-filter-state'), { target: { value: 'accepted' } });
    await waitFor(() => expect(rows().map((r) => r.textContent?.includes(CAIRO))).toEqual([true]));
    await fireEvent.change(screen.getByTestId('desk-filter-state'), { target: { value: '' } });
    await waitFor(() => expect(rows().length).toBe(3));
    await fireEvent.click(screen.getByTestId('desk-filter-urgent'));
    await waitFor(() => expect(rows().length).toBe(1));
    await fireEvent.click(screen.getByTestId('desk-filter-urgent'));
    await waitFor(() => expect(rows().length).toBe(3));
    type('desk-search', 'lawyer');
    await waitFor(() => expect(rows().length).toBe(1));
    expect(rows()[0].textContent).toContain(LAWYER);
  });

  it('checks for new cases and says what came in numbers, flagged bundles with their problem codes', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-pull'));
    const report = await screen.findByTestId('desk-pull-report');
    expect(report.closest('[role="status"]')).toBeTruthy();
    expect(report.textContent).toContain('2 bundles fetched');
    expect(report.textContent).toContain('1 verified and filed as a case');
    expect(report.textContent).toContain('1 did not verify');
    expect(report.textContent).toContain('signature, desk');
    expect(report.textContent).toContain('1 message from a device received');
    await waitFor(() => expect(rows().length).toBe(4));
    expect(rows().slice(0, 2).every((r) => r.getAttribute('data-urgent') === 'true')).toBe(true);
  });
});

describe('a received case', () => {
  it('shows every section the defender recorded, the narrative in full', async () => {
    await openDesk();
    await openCase(ARREST);
    expect(screen.getByTestId('desk-case-title').textContent).toBe(ARREST);
    const text = screen.getByTestId('desk-case').textContent!;
    for (const s of ['People and their roles', 'Testimonies', 'Violations', 'Places of detention', 'Perpetrators', 'Follow-up needs', 'Consent', 'Evidence']) {
      expect(text).toContain(s);
    }
    // The case basics, under the field side's labels.
    const basics = screen.getByTestId('desk-section-case');
    expect(basics.textContent).toContain('Start of the events');
    expect(basics.textContent).toContain('May 12, 2024');
    expect(basics.textContent).toContain('Tunisia (TN)');
    // The Istanbul Protocol headings and the narrative as told, line breaks kept.
    const testimony = screen.getByTestId('desk-section-testimony');
    for (const h of ['The interview', 'The account', 'Physical and psychological complaints', 'Testimony in the person’s own words']) {
      expect(within(testimony).getAllByRole('heading', { level: 4 }).map((e) => e.textContent)).toContain(h);
    }
    expect(testimony.textContent).toContain('They stopped the car and asked for my card.\nThen they took me to the station and kept me for two days.');
    // People with their roles, vulnerabilities and what their consent covers.
    const people = screen.getByTestId('desk-section-person');
    expect(people.textContent).toContain('Victim');
    expect(people.textContent).toContain('Human-rights defender');
    expect(people.textContent).toContain('Yes: counted in anonymised statistics');
    // An entry blanked by the sender says so.
    expect(within(people).getByTestId('desk-redacted').textContent).toContain('Redacted by the sender');
    // Headings in order: one h1, then h2 sections.
    expect(screen.getAllByRole('heading', { level: 1 }).length).toBe(1);
  });

  it('says it is verified, by whom, with what, and what was withheld and why', async () => {
    await openDesk();
    await openCase(ARREST);
    const panel = screen.getByTestId('desk-verification');
    expect(panel.getAttribute('data-verdict')).toBe('verified');
    expect(panel.textContent).toContain('Verified: signed by an approved device');
    expect(panel.textContent).toContain('device Field office Tunis (a1b2c3d4e5f60718, approved)');
    expect(panel.textContent).toContain('amber falcon river quiet lantern orbit');
    expect(panel.textContent).toContain('4 files');
    expect(panel.textContent).toContain('23 custody entries');
    expect(panel.textContent).toContain('Manifest SHA-256');
    const withheld = screen.getByTestId('desk-withheld');
    expect(withheld.textContent).toContain('Person');
    expect(withheld.textContent).toContain('the person did not consent to sharing with OMCT');

    await fireEvent.click(screen.getByTestId('desk-verify-again'));
    const result = await screen.findByTestId('desk-verify-result');
    expect(result.getAttribute('data-genuine')).toBe('true');
    expect(fake.mock.calls).toContain('desk_verify');
  });

  it('warns in words when the signing device was revoked, and when verifying again fails', async () => {
    await openDesk();
    await openCase(CAIRO);
    const panel = screen.getByTestId('desk-verification');
    expect(panel.getAttribute('data-verdict')).toBe('warning');
    expect(panel.textContent).toMatch(/Warning: the device that signed this case has been revoked/);
    fake.mock.answer('deskVerify', { genuine: false, signature_valid: false, files_verified: 3, custody_verified: 23, problems: ['hash: files/x'] });
    await fireEvent.click(screen.getByTestId('desk-verify-again'));
    const result = await screen.findByTestId('desk-verify-result');
    expect(result.getAttribute('data-genuine')).toBe('false');
    expect(result.textContent).toContain('does NOT hold up');
    expect(result.textContent).toContain('hash: files/x');
  });

  it('shows what changed since the version before, and the versions', async () => {
    await openDesk();
    await openCase(LAWYER);
    const changed = screen.getByTestId('desk-changed');
    expect(changed.textContent).toContain('Added');
    expect(changed.textContent).toContain('Testimony');
    expect(changed.textContent).toContain('Removed');
    expect(screen.getAllByTestId('desk-version').length).toBe(2);
  });

  it('lists evidence with its metadata and GPS, copies beside their originals, and shows the photo', async () => {
    await openDesk();
    await openCase(ARREST);
    const items = screen.getAllByTestId('desk-evidence');
    expect(items[0].textContent).toContain('bruises.jpg');
    expect(items[1].textContent).toContain('Working copy of “bruises.jpg”');
    expect(items[1].textContent).toContain('metadata removed');
    expect(screen.getByTestId('desk-evidence-gps').textContent).toContain('36.806500, 10.181500');
    expect(items[0].textContent).toContain('Samsung SM-A125F');
    expect(items[0].textContent).toContain('image/jpeg');

    await fireEvent.click(within(items[0]).getByTestId('desk-evidence-show'));
    const img = (await screen.findByTestId('desk-evidence-image')) as HTMLImageElement;
    expect(img.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(img.alt).toContain('bruises.jpg');
    expect(img.closest('.viewer')?.getAttribute('tabindex')).toBe('0');
    expect(fake.mock.calls).toContain('desk_file');
  });

  it('draws a PDF with pdf.js and plays a recording from the backend, and drops them on leaving', async () => {
    await openDesk();
    await openCase(ARREST);
    const pdf = screen.getAllByTestId('desk-evidence').find((e) => e.textContent?.includes('report.pdf'))!;
    await fireEvent.click(within(pdf).getByTestId('desk-evidence-show'));
    const view = await screen.findByTestId('desk-evidence-pdf');
    await waitFor(() => expect(view.querySelectorAll('canvas').length).toBe(2));
    expect(view.textContent).toContain('Page 1 of 2');

    const audio = screen.getAllByTestId('desk-evidence').find((e) => e.textContent?.includes('statement.ogg'))!;
    await fireEvent.click(within(audio).getByTestId('desk-evidence-play'));
    const player = (await screen.findByTestId('desk-evidence-audio')) as HTMLAudioElement;
    expect(player.getAttribute('src')).toMatch(/^blob:/);
    expect(mediaHeld.size).toBe(1);

    await fireEvent.click(screen.getByTestId('desk-back'));
    await screen.findByTestId('desk-pull');
    expect(desk.files).toEqual({});
    expect(desk.media).toEqual({});
    expect(desk.current).toBeNull();
    // The recording's blob is given back with the case.
    expect(mediaHeld.size).toBe(0);
  });
});

describe('triage', () => {
  it('offers only the moves the triage order allows, and records each step with its note', async () => {
    await openDesk();
    await openCase(ARREST);
    const select = screen.getByTestId('desk-triage-state') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['in_review']);
    type('desk-triage-note', 'Medical report to check.');
    await fireEvent.click(screen.getByTestId('desk-triage-submit'));
    await waitFor(() => expect(screen.getByTestId('desk-triage-current').textContent).toBe('In review'));
    expect(screen.getByTestId('desk-triage-history').textContent).toContain('Medical report to check.');
    await waitFor(() =>
      expect([...(screen.getByTestId('desk-triage-state') as HTMLSelectElement).options].map((o) => o.value)).toEqual([
        'accepted',
        'declined',
        'needs_information',
      ]),
    );
    // The inbox row follows.
    await fireEvent.click(screen.getByTestId('desk-back'));
    await waitFor(() => expect(rows()[0].getAttribute('data-state')).toBe('in_review'));
  });
});

describe('messages', () => {
  it('sends a question, signed and sealed to the device, and lists it', async () => {
    await openDesk();
    await openCase(ARREST);
    expect(screen.getByTestId('desk-messages').textContent).toMatch(/sealed to the device that sent this case only/);
    await fireEvent.change(screen.getByTestId('desk-message-kind'), { target: { value: 'question' } });
    const send = screen.getByTestId('desk-message-send') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    type('desk-message-text', 'Has she seen a doctor since?');
    await fireEvent.click(send);
    await waitFor(() => expect(screen.getAllByTestId('desk-message-row').length).toBe(1));
    const row = screen.getByTestId('desk-message-row');
    expect(row.getAttribute('data-from')).toBe('desk');
    expect(row.textContent).toContain('Question');
    expect(row.textContent).toContain('Has she seen a doctor since?');
  });

  it('shows the device\'s answers apart from the desk\'s messages', async () => {
    await openDesk();
    await openCase(LAWYER);
    const list = screen.getAllByTestId('desk-message-row');
    expect(list.map((m) => m.getAttribute('data-from'))).toEqual(['desk', 'device']);
    expect(list[1].textContent).toContain('The device (Lawyer network Sfax)');
  });
});

describe('export', () => {
  it('writes the case to a folder after saying it is decrypted and recorded', async () => {
    await openDesk();
    await openCase(ARREST);
    expect(screen.getByText(/writes the case, decrypted, to disk/).textContent).toMatch(/custody log/);
    type('desk-export-folder', '/home/officer/case-export');
    await fireEvent.click(screen.getByTestId('desk-export'));
    const done = await screen.findByTestId('desk-export-done');
    expect(done.textContent).toContain('4 files verified');
    expect(fake.mock.deskExports).toEqual(['/home/officer/case-export']);
  });
});

describe('devices', () => {
  it('lists devices with their standing, gaps in plain words, fingerprint words and OMCT\'s own', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-nav-devices'));
    await waitFor(() => expect(screen.getAllByTestId('desk-device-row').length).toBe(3));
    const list = screen.getAllByTestId('desk-device-row');
    expect(list.map((r) => r.getAttribute('data-status'))).toEqual(['approved', 'approved', 'revoked']);
    expect(list[0].textContent).toContain('Bundles 3, 4 never arrived');
    expect(within(list[0]).getByTestId('desk-device-words').textContent).toBe('amber falcon river quiet lantern orbit');
    expect(screen.getByTestId('desk-root-words').textContent).toBe('harvest olive tundra ribbon falcon mosaic');
    expect(screen.getByTestId('desk-device-warnings').textContent).toContain('never arrived');
  });

  it('asks before revoking a device', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-nav-devices'));
    const first = (await screen.findAllByTestId('desk-device-row'))[0];
    await fireEvent.click(within(first).getByTestId('desk-revoke'));
    expect(fake.mock.calls).not.toContain('desk_revoke');
    expect(first.textContent).toMatch(/Revoke this device\?/);
    await fireEvent.click(within(first).getByTestId('desk-revoke-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('desk-device-row')[0].getAttribute('data-status')).toBe('revoked'));
    expect(fake.mock.calls).toContain('desk_revoke');
  });

  it('issues an enrollment code as text and as a QR code of size × size modules', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-nav-devices'));
    await screen.findAllByTestId('desk-device-row');
    expect((screen.getByTestId('desk-enroll-hours') as HTMLInputElement).value).toBe('72');
    type('desk-enroll-label', 'Field office Sfax');
    await fireEvent.click(screen.getByTestId('desk-enroll-submit'));
    const text = await screen.findByTestId('desk-code-text');
    expect(text.textContent).toMatch(/^TEMOIN1-/);
    expect(screen.getByTestId('desk-code-words').textContent).toBe('harvest olive tundra ribbon falcon mosaic');
    const qr = screen.getByTestId('desk-code-qr');
    expect(qr.tagName.toLowerCase()).toBe('svg');
    expect(qr.getAttribute('role')).toBe('img');
    expect(qr.getAttribute('aria-label')).toContain('Field office Sfax');
    const size = 29;
    // Four modules of quiet zone on each side.
    expect(qr.getAttribute('viewBox')).toBe(`0 0 ${size + 8} ${size + 8}`);
    const dark = [...qr.querySelectorAll('rect')].filter((r) => !r.classList.contains('qr-light'));
    expect(dark.length).toBeGreaterThan(100);
    expect(dark.length).toBeLessThan(size * size);
    expect(dark.every((r) => r.getAttribute('width') === '1' && r.getAttribute('height') === '1')).toBe(true);
    expect(new Set(dark.map((r) => `${r.getAttribute('x')},${r.getAttribute('y')}`)).size).toBe(dark.length);
    // The finder square's corner is dark, the ring inside it light.
    expect(dark.some((r) => r.getAttribute('x') === '4' && r.getAttribute('y') === '4')).toBe(true);
    expect(dark.some((r) => r.getAttribute('x') === '5' && r.getAttribute('y') === '5')).toBe(false);
  });

  it('draws exactly the dark modules the backend gives', async () => {
    await openDesk();
    const dark = [true, false, true, false, true, false, true, false, true];
    fake.mock.answer('deskEnroll', {
      code: 'TEMOIN1-ABCDE', label: 'Lab', expires_at: '2025-01-04T00:00:00Z', root_fingerprint: 'x', root_words: 'a b c d e f',
      qr: { size: 3, dark },
    });
    await fireEvent.click(screen.getByTestId('desk-nav-devices'));
    type('desk-enroll-label', 'Lab');
    await fireEvent.click(screen.getByTestId('desk-enroll-submit'));
    const qr = await screen.findByTestId('desk-code-qr');
    const cells = [...qr.querySelectorAll('rect')].filter((r) => !r.classList.contains('qr-light'));
    expect(cells.map((r) => `${r.getAttribute('x')},${r.getAttribute('y')}`)).toEqual(['4,4', '6,4', '5,5', '4,6', '6,6']);
  });
});

describe('figures', () => {
  beforeEach(() => {
    // No 2D canvas in this DOM: the chart's words and the table stand alone.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => vi.restoreAllMocks());

  it('shows every cell, "<5" for those under 5, and no total anywhere', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-nav-figures'));
    const table = await screen.findByTestId('desk-stats-table');
    await waitFor(() => expect(within(table).getAllByTestId('desk-stats-row').length).toBe(7));
    const hidden = within(table).getAllByTestId('desk-stats-row').filter((r) => r.getAttribute('data-suppressed') === 'true');
    expect(hidden.length).toBe(2);
    expect(hidden.every((r) => r.lastElementChild?.textContent === '<5')).toBe(true);
    expect(table.textContent).toContain('Torture');
    expect(table.textContent).toContain('Woman or girl');
    expect(table.textContent).toContain('Police');
    expect(within(table).getAllByRole('columnheader').length).toBe(5);
    // Only the cells' own numbers, never a sum of them (7 + 5 = 12 for torture in Tunisia).
    const numbers = within(table)
      .getAllByTestId('desk-stats-row')
      .map((r) => r.lastElementChild?.textContent);
    expect(numbers.sort()).toEqual(['5', '6', '7', '8', '9', '<5', '<5']);
    expect(document.body.textContent).not.toMatch(/\btotal/i);
    expect(document.body.textContent).not.toContain('12');
    expect(screen.getByText(/consent covers anonymised statistics are counted/)).toBeTruthy();
    // The chart says what it shows in words.
    const chart = screen.getByTestId('desk-stats-chart');
    expect(chart.tagName.toLowerCase()).toBe('canvas');
    expect(chart.closest('figure')?.textContent).toMatch(/Bar chart of the victims in Egypt \(EG\), counted by: Type of violation/);
    await fireEvent.change(screen.getByTestId('desk-stats-dimension'), { target: { value: 'vulnerability' } });
    await fireEvent.change(screen.getByTestId('desk-stats-country'), { target: { value: 'TN' } });
    await waitFor(() => expect(chart.closest('figure')?.textContent).toMatch(/Tunisia \(TN\), counted by: Vulnerability/));
  });

  it('writes the CSV where the officer says', async () => {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-nav-figures'));
    await screen.findByTestId('desk-stats-table');
    type('desk-stats-export-path', '/home/officer/figures.csv');
    await fireEvent.click(screen.getByTestId('desk-stats-export'));
    const done = await screen.findByTestId('desk-stats-export-done');
    expect(done.textContent).toContain('/home/officer/figures.csv');
    expect(fake.mock.calls).toContain('desk_stats_export');
    expect(fake.mock.statsExports).toEqual(['/home/officer/figures.csv']);
  });
});

describe('locking the desk', () => {
  function nothingLeft() {
    expect(document.body.textContent).not.toContain(ARREST);
    expect(document.querySelectorAll('img').length).toBe(0);
    expect(desk.cases).toEqual([]);
    expect(desk.current).toBeNull();
    expect(desk.files).toEqual({});
    expect(desk.devices).toBeNull();
    expect(desk.code).toBeNull();
    expect(desk.stats).toBeNull();
    expect(desk.pulled).toBeNull();
  }

  async function photoShown() {
    await openDesk();
    await fireEvent.click(screen.getByTestId('desk-pull'));
    await screen.findByTestId('desk-pull-report');
    await openCase(ARREST);
    await fireEvent.click(screen.getAllByTestId('desk-evidence-show')[0]);
    await screen.findByTestId('desk-evidence-image');
  }

  it('the Lock button leaves only the desk unlock screen and clears every desk datum', async () => {
    await photoShown();
    await fireEvent.click(screen.getByTestId('lock-button'));
    await screen.findByTestId('desk-unlock-passphrase');
    nothingLeft();
    expect(fake.mock.calls).toContain('vault_lock');
    expect(fake.mock.deskOpen).toBe(false);
  });

  it('the idle lock does the same, and says why', async () => {
    await photoShown();
    fake.mock.lockFromBackend('idle');
    await screen.findByTestId('desk-unlock-passphrase');
    nothingLeft();
    expect(screen.getByRole('status').textContent).toMatch(/desk was locked because the computer was not used/);
  });

  it('a call answered "locked" locks the desk screens too', async () => {
    await openDesk();
    fake.mock.lockFromBackend('panic');
    await fireEvent.click(screen.getByTestId('desk-pull'));
    await screen.findByTestId('desk-unlock-passphrase');
    nothingLeft();
  });
});

describe('the desk in Arabic', () => {
  it('reads right to left, in Arabic words', async () => {
    await openDesk({ language: 'ar' });
    expect(document.documentElement.dir).toBe('rtl');
    expect(screen.getByTestId('desk-nav-inbox').textContent).toBe('القضايا الواردة');
    expect(screen.getByTestId('desk-pull').textContent).toContain('ابحث عن قضايا جديدة');
  });
});
