import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../lib/backend';
import { formatTimestamp } from '../lib/format';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';
const status = () => screen.getByTestId('outbox-status').getAttribute('data-status');

async function addConsent(name: string, scopes: string[]) {
  await tab('consents');
  await fireEvent.click(screen.getByTestId('consent-add'));
  type('consent-name', name);
  for (const s of scopes) await fireEvent.click(screen.getByTestId(`consent-scope-${s}`));
  await fireEvent.click(screen.getByTestId('consent-save'));
  await screen.findByTestId('consent-row');
}

describe('consent', () => {
  it('records consent per scope and its withdrawal', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await addConsent('Amal B.', ['share_with_omct', 'publication']);
    const row = screen.getByTestId('consent-row');
    expect(row.textContent).toMatch(/Yes: sent to OMCT/);
    expect(row.textContent).toMatch(/Yes: made public/);
    await fireEvent.click(screen.getByTestId('consent-withdraw'));
    await fireEvent.click(screen.getByLabelText('made public (appeal, report, press)'));
    await fireEvent.click(screen.getByText('Record the withdrawal'));
    await waitFor(() => expect(screen.getByTestId('consent-row').textContent).toMatch(/Withdrawn: made public/));
    expect(screen.getByTestId('consent-row').textContent).toMatch(/Yes: sent to OMCT/);
  });

  it('asks for a scope and a name before saving', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('consents');
    await fireEvent.click(screen.getByTestId('consent-add'));
    await fireEvent.click(screen.getByTestId('consent-save'));
    expect(await screen.findByText(/need attention/)).toBeTruthy();
    expect(fake.mock.calls).not.toContain('record_save');
  });
});

describe('handover', () => {
  it('explains what is missing: enrollment, then consent', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('handover');
    expect((await screen.findByTestId('outbox-status')).textContent).toMatch(/Not sent/);
    fake.mock.fail('caseSubmit', 'not_enrolled', 'this device is not enrolled with OMCT yet');
    await fireEvent.click(screen.getByTestId('submit-case'));
    expect((await screen.findByTestId('submit-error')).textContent).toMatch(/not enrolled/);
    fake.mock.fail('caseSubmit', 'consent', 'no consent in this case covers share_with_omct');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(screen.getByTestId('submit-error').textContent).toMatch(/consent does not allow/));
    expect(fake.mock.calls.filter((c) => c === 'case_submit')).toHaveLength(2);
    expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('none');
  });

  it('submits, shows sending, then on OMCT\'s server with the receipt (not yet received by OMCT), here and in the outbox', async () => {
    await unlocked({ seed: true, enrolled: true });
    await openCase(TITLE);
    await tab('handover');
    fake.mock.fail('caseSubmit', 'consent', 'no consent in this case covers share_with_omct');
    await fireEvent.click(screen.getByTestId('submit-case'));
    expect((await screen.findByTestId('submit-error')).textContent).toMatch(/consent does not allow/);
    await addConsent('Amal B.', ['share_with_omct']);
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('delivered'));
    const receipt = screen.getByTestId('receipt');
    expect(receipt.textContent).toMatch(/[0-9a-f]{64}/);
    expect(receipt.textContent).toContain('https://intake.omct.test');
    // The server's receipt is not OMCT's word: not "received by OMCT".
    expect(screen.getByTestId('outbox-status').textContent).toMatch(/On OMCT’s server/);
    expect(document.body.textContent).toMatch(/Delivered to OMCT’s server — waiting for OMCT to confirm/);
    expect(document.body.textContent).not.toMatch(/received by OMCT/i);
    expect(screen.queryByTestId('acknowledgement')).toBeNull();
    await fireEvent.click(screen.getByTestId('outbox-nav'));
    await screen.findByTestId('outbox-row');
    expect(status()).toBe('delivered');
    expect(screen.getByTestId('outbox-status').textContent).toMatch(/On OMCT’s server/);
    expect(screen.getByTestId('outbox-row').textContent).toContain(TITLE);
    expect(screen.getByTestId('outbox-row').textContent).toMatch(/waiting for OMCT to confirm/);
    expect(screen.getByTestId('outbox-row').textContent).not.toMatch(/received by OMCT/i);
    expect(screen.getByTestId('receipt')).toBeTruthy();
  });

  it('shows a failed delivery in plain words, and retries', async () => {
    await unlocked({ seed: true });
    await fireEvent.click(screen.getByTestId('settings-nav'));
    type('enroll-code', 'TEMOIN1-ABCDE-FGHIJ-KLMNO');
    await fireEvent.click(screen.getByTestId('enroll-submit'));
    await screen.findByTestId('enrolled');
    await fireEvent.click(screen.getByTestId('cases-nav'));
    await openCase(TITLE);
    await addConsent('Amal B.', ['share_with_omct']);
    await tab('handover');
    fake.mock.failDelivery('the intake server could not be reached (connection refused)');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('failed'));
    expect(document.body.textContent).toMatch(/Why: the intake server could not be reached/);
    await fireEvent.click(screen.getByTestId('outbox-retry'));
    await waitFor(() => expect(fake.mock.calls).toContain('outbox_retry'));
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('delivered'));
  });

  it('exports to a folder and lists what consent withheld', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('handover');
    const caseExport = vi.fn(fake.caseExport);
    useBackend({ ...fake, caseExport });
    try {
      fake.mock.answer('caseExport', { path: '/media/usb-stick/temoin-0a1b2c3d.tar.age', withheld: ['testimonies: no consent covers litigation'] });
      await fireEvent.click(screen.getByTestId('export-case'));
      const result = await screen.findByTestId('export-result');
      expect(caseExport).toHaveBeenCalledWith(expect.any(String), '/media/usb-stick', 'share_with_omct');
      expect(result.textContent).toMatch(/\/media\/usb-stick\/temoin-/);
      expect(result.textContent).toMatch(/no consent covers litigation/);
    } finally {
      useBackend(fake);
    }
  });

  it('drafts a document in the chosen kind and language, and shows what consent left out', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('handover');
    const caseDossier = vi.fn(fake.caseDossier);
    useBackend({ ...fake, caseDossier });
    try {
      fake.mock.answer('caseDossier', {
        path: '/home/defender/temoin-0a1b.docx', pdf_path: '/home/defender/temoin-0a1b.pdf',
        annexes_folder: '/home/defender/temoin-annexes-0a1b', annexes: 2,
        notes: ['Person A: left out or pseudonymised, for want of consent to litigation.'],
      });
      await fireEvent.click(screen.getByTestId('dossier-kind-cat'));
      await fireEvent.change(screen.getByTestId('dossier-language'), { target: { value: 'ar' } });
      type('dossier-path', '/home/defender');
      await fireEvent.click(screen.getByTestId('dossier-path-submit'));
      const result = await screen.findByTestId('dossier-result');
      expect(caseDossier).toHaveBeenCalledWith(expect.any(String), 'cat', 'ar', '/home/defender');
      expect(result.textContent).toMatch(/temoin-0a1b\.docx/);
      expect(screen.getByTestId('dossier-result-pdf').textContent).toBe('/home/defender/temoin-0a1b.pdf');
      expect(result.textContent).toMatch(/DOCX, to edit, and as PDF, to send/);
      expect(result.textContent).toMatch(/annexes \(2\)/);
      expect(screen.getByTestId('dossier-notes').textContent).toMatch(/Person A: left out/);
    } finally {
      useBackend(fake);
    }
  });

  it('exports for publication when asked, saying what that purpose carries', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('handover');
    const caseExport = vi.fn(fake.caseExport);
    useBackend({ ...fake, caseExport });
    try {
      const publication = screen.getByTestId('export-purpose-publication');
      expect(document.getElementById(publication.getAttribute('aria-describedby') ?? '')?.textContent).toMatch(/Working copies only/);
      await fireEvent.click(publication);
      await fireEvent.click(screen.getByTestId('export-case'));
      const result = await screen.findByTestId('export-result');
      expect(caseExport).toHaveBeenCalledWith(expect.any(String), expect.any(String), 'publication');
      expect(result.textContent).toMatch(/a publication carries working copies only/);
    } finally {
      useBackend(fake);
    }
  });
});

describe('OMCT\'s confirmation', () => {
  /** Opens the seeded case, records consent, submits it and waits for OMCT's server's receipt. */
  async function deliver() {
    await unlocked({ seed: true, enrolled: true });
    await openCase(TITLE);
    await addConsent('Amal B.', ['share_with_omct']);
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(status()).toBe('delivered'));
    await screen.findByTestId('receipt');
  }

  it('shows OMCT\'s desk\'s acceptance as received by OMCT, with its date, and keeps the receipt', async () => {
    await deliver();
    fake.mock.acknowledge();
    await waitFor(() => expect(status()).toBe('acknowledged'));
    const [row] = await fake.outboxList();
    const when = formatTimestamp(row.acknowledgement!.acknowledged_at, 'en');
    expect(screen.getByTestId('outbox-status').textContent).toMatch(/Received by OMCT/);
    const ack = screen.getByTestId('acknowledgement');
    expect(ack.textContent?.trim()).toBe(`Received by OMCT on ${when}`);
    expect(ack.getAttribute('data-accepted')).toBe('true');
    expect(screen.getByTestId('receipt').textContent).toMatch(/[0-9a-f]{64}/);
    expect(screen.getByTestId('forget-case')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('outbox-nav'));
    await screen.findByTestId('outbox-row');
    expect(status()).toBe('acknowledged');
    expect(screen.getByTestId('acknowledgement').textContent).toContain(`Received by OMCT on ${when}`);
    expect(screen.getByTestId('receipt')).toBeTruthy();

    // The case list says so too, and filters on it.
    await fireEvent.click(screen.getByTestId('cases-nav'));
    await waitFor(() => {
      const row = screen.getAllByTestId('case-row').find((r) => r.textContent?.includes(TITLE));
      expect(row?.querySelector('.badge.delivery-acknowledged')?.textContent?.trim()).toBe('Received by OMCT');
    });
    const filter = screen.getByTestId('filter-delivery') as HTMLSelectElement;
    const options = Object.fromEntries([...filter.options].map((o) => [o.value, o.textContent?.trim()]));
    expect(options).toMatchObject({ delivered: 'On OMCT’s server', acknowledged: 'Received by OMCT', flagged: 'Refused by OMCT’s desk' });
    await fireEvent.change(filter, { target: { value: 'delivered' } });
    await waitFor(() => expect(screen.queryAllByTestId('case-row')).toHaveLength(0));
    await fireEvent.change(filter, { target: { value: 'acknowledged' } });
    await waitFor(() => expect(screen.getAllByTestId('case-row').map((r) => r.textContent)).toEqual([expect.stringContaining(TITLE)]));
  });

  it('shows a refusal by OMCT\'s desk with its reasons, and says nothing was removed', async () => {
    await deliver();
    fake.mock.flag(['the bundle is signed by a device OMCT has not approved', 'the consent form is missing']);
    await waitFor(() => expect(status()).toBe('flagged'));
    const [row] = await fake.outboxList();
    const when = formatTimestamp(row.acknowledgement!.acknowledged_at, 'en');
    expect(screen.getByTestId('outbox-status').textContent).toMatch(/Refused by OMCT’s desk/);
    const ack = screen.getByTestId('acknowledgement');
    expect(ack.getAttribute('data-accepted')).toBe('false');
    expect(ack.textContent).toContain(`Refused by OMCT’s desk on ${when}`);
    expect([...ack.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'the bundle is signed by a device OMCT has not approved',
      'the consent form is missing',
    ]);
    expect(ack.textContent).toMatch(/Nothing was removed from this computer\. Contact OMCT/);
    expect(document.body.textContent).not.toMatch(/received by OMCT/i);
    expect(screen.getByTestId('receipt')).toBeTruthy();
    expect(screen.queryByTestId('forget-case')).toBeNull();
  });

  it('goes the whole way by itself under vite dev: on OMCT\'s server, then received by OMCT', async () => {
    await unlocked({ seed: true, enrolled: true, autoAcknowledge: true, delay: 30 });
    await openCase(TITLE);
    await addConsent('Amal B.', ['share_with_omct']);
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(status()).toBe('delivered'));
    await waitFor(() => expect(status()).toBe('acknowledged'));
    expect((await fake.custodyLog(null, null)).entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['export_bundle', 'delivered', 'acknowledged']),
    );
    expect(screen.getByTestId('acknowledgement').textContent).toMatch(/Received by OMCT on/);
  });

  it('names the desk\'s acknowledgement and refusal in the custody log', async () => {
    await deliver();
    fake.mock.acknowledge();
    await waitFor(() => expect(status()).toBe('acknowledged'));
    await tab('custody');
    await screen.findByTestId('custody-verified');
    const actions = () => [...document.querySelectorAll('tbody tr')].map((tr) => tr.children[2].textContent);
    await waitFor(() => expect(actions()).toContain('Received and verified by OMCT’s desk'));
    expect(actions()).toContain('Delivered to OMCT’s server');
    expect(actions()).toContain('Sealed into a bundle');

    // Submitted again and refused this time.
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(status()).toBe('delivered'));
    fake.mock.flag(['a file is unreadable']);
    await waitFor(() => expect(status()).toBe('flagged'));
    await tab('custody');
    await waitFor(() => expect(actions()).toContain('Refused by OMCT’s desk'));
    const log = await fake.custodyLog(null, null);
    expect(log.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['delivered', 'acknowledged', 'flagged']));
  });
});

describe('settings', () => {
  it('shows the device key, the demo banner, and saves the auto-lock delay', async () => {
    await unlocked({ demo: { server: 'https://demo.example', note: '' } });
    expect(screen.getByTestId('demo-banner').textContent).toMatch(/DEMO server/);
    await fireEvent.click(screen.getByTestId('settings-nav'));
    expect((await screen.findByTestId('device-key')).textContent).toMatch(/^RW/);
    await fireEvent.change(screen.getByTestId('auto-lock'), { target: { value: '15' } });
    await waitFor(() => expect(fake.mock.calls).toContain('set_auto_lock'));
  });

  it('switches the whole interface to Arabic, right to left', async () => {
    await unlocked();
    await fireEvent.click(screen.getByTestId('settings-nav'));
    await fireEvent.change(await screen.findByTestId('language-select'), { target: { value: 'ar' } });
    expect(document.documentElement.dir).toBe('rtl');
    expect(screen.getByTestId('lock-button').textContent?.trim()).toBe('قفل');
    expect(screen.getByTestId('cases-nav').textContent?.trim()).toBe('القضايا');
  });
});
