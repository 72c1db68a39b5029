import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../lib/backend';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';

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

  it('submits, shows sending, then delivered with the receipt, here and in the outbox', async () => {
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
    await fireEvent.click(screen.getByTestId('outbox-nav'));
    await screen.findByTestId('outbox-row');
    expect(screen.getByTestId('outbox-status').textContent).toMatch(/Delivered/);
    expect(screen.getByTestId('outbox-row').textContent).toContain(TITLE);
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
      expect(caseExport).toHaveBeenCalledWith(expect.any(String), '/media/usb-stick');
      expect(result.textContent).toMatch(/\/media\/usb-stick\/temoin-/);
      expect(result.textContent).toMatch(/no consent covers litigation/);
    } finally {
      useBackend(fake);
    }
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
