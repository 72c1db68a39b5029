// Deliver and forget: a case OMCT received (its desk opened, verified and
// acknowledged the latest submission) can be removed from this computer, by
// hand from the Handover tab or at once by the standing policy in Settings →
// Security. The server's receipt alone is not enough.
import { describe, expect, it } from 'vitest';
import { session } from '../lib/session.svelte';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';
const OTHER = 'Disappearance of a lawyer';
/** The vault's refusal when OMCT's desk has not acknowledged the case as it is now, word for word. */
const REFUSAL =
  'OMCT has not confirmed receiving this case as it is now (not sent yet, not yet opened by OMCT\'s desk, refused by it, or changed since): submit it and wait until it shows "received by OMCT"; nothing was removed';
const status = () => screen.getByTestId('outbox-status').getAttribute('data-status');

async function addConsent(name: string) {
  await tab('consents');
  const before = screen.queryAllByTestId('consent-row').length;
  await fireEvent.click(screen.getByTestId('consent-add'));
  type('consent-name', name);
  await fireEvent.click(screen.getByTestId('consent-scope-share_with_omct'));
  await fireEvent.click(screen.getByTestId('consent-save'));
  await waitFor(() => expect(screen.getAllByTestId('consent-row').length).toBe(before + 1));
}

/** Opens the seeded case, records consent, submits it and waits for OMCT's server's receipt. */
async function deliver(): Promise<string> {
  await unlocked({ seed: true, enrolled: true });
  await openCase(TITLE);
  const id = session.current!.id;
  await addConsent('Amal B.');
  await tab('handover');
  await fireEvent.click(screen.getByTestId('submit-case'));
  await waitFor(() => expect(status()).toBe('delivered'));
  await screen.findByTestId('receipt');
  return id;
}

/** As deliver(), then OMCT's desk accepts the bundle: received by OMCT. */
async function receive(): Promise<string> {
  const id = await deliver();
  fake.mock.acknowledge();
  await waitFor(() => expect(status()).toBe('acknowledged'));
  await screen.findByTestId('forget-case');
  return id;
}

function caseTitles(): string[] {
  return screen.queryAllByTestId('case-row').map((r) => r.textContent ?? '');
}

describe('deliver and forget, from the Handover tab', () => {
  it('is not offered for a case that was never submitted', async () => {
    await unlocked({ seed: true, enrolled: true });
    await openCase(TITLE);
    await tab('handover');
    await screen.findByTestId('outbox-status');
    expect(screen.queryByTestId('forget-section')).toBeNull();
    expect(screen.queryByTestId('forget-case')).toBeNull();
  });

  it('is offered only once OMCT\'s desk acknowledged the submission, not on the server\'s receipt', async () => {
    await unlocked({ seed: true, enrolled: true, delay: 30 });
    await openCase(TITLE);
    await addConsent('Amal B.');
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(status()).toBe('queued'));
    expect(screen.queryByTestId('forget-section')).toBeNull();
    expect(screen.queryByTestId('forget-unavailable')).toBeNull();

    // On OMCT's server only: not yet, and why.
    await waitFor(() => expect(status()).toBe('delivered'));
    await screen.findByTestId('receipt');
    expect(screen.queryByTestId('forget-section')).toBeNull();
    expect(screen.queryByTestId('forget-case')).toBeNull();
    const waiting = screen.getByTestId('forget-unavailable');
    expect(waiting.querySelector('h3')?.textContent).toBe('Remove this case from this computer');
    expect(waiting.textContent).toMatch(/becomes possible once OMCT confirms receiving it/);
    expect(waiting.textContent).toMatch(/OMCT’s desk has not opened and checked it yet/);

    fake.mock.acknowledge();
    const section = await screen.findByTestId('forget-section');
    expect(status()).toBe('acknowledged');
    expect(screen.queryByTestId('forget-unavailable')).toBeNull();
    expect(screen.getByTestId('forget-case')).toBeTruthy();
    expect(section.querySelector('h3')?.textContent).toBe('Remove this case from this computer');
    expect(section.textContent).toMatch(/its desk opened and checked the submission above and confirmed receiving it/);
    expect(section.textContent).toMatch(/testimonies, its evidence and the people only this case names/);
    expect(section.textContent).toMatch(/OMCT keeps the copy it received/);
    expect(section.textContent).toMatch(/cannot be undone/);
    expect(section.textContent).toMatch(/still encrypted, in its files until it reuses the space/);
    expect(section.textContent).toMatch(/passphrase and a copy of the disk/);
  });

  it('stays unavailable when OMCT\'s desk refused the submission, and says why', async () => {
    const id = await deliver();
    fake.mock.flag(['the consent record does not cover sharing with OMCT', 'two evidence files are missing']);
    await waitFor(() => expect(status()).toBe('flagged'));
    const ack = await screen.findByTestId('acknowledgement');
    expect(ack.textContent).toMatch(/Refused by OMCT’s desk on/);
    expect([...ack.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'the consent record does not cover sharing with OMCT',
      'two evidence files are missing',
    ]);
    expect(screen.queryByTestId('forget-section')).toBeNull();
    expect(screen.queryByTestId('forget-case')).toBeNull();
    expect(screen.getByTestId('forget-unavailable').textContent).toMatch(/OMCT’s desk refused the submission above/);
    // The backend (and the fake) refuse it too.
    await expect(fake.caseForget(id)).rejects.toMatchObject({ code: 'invalid_input', message: REFUSAL });
    expect(fake.mock.holds(id)).toBe(true);
  });

  it('asks first; Cancel and Escape remove nothing and give the focus back', async () => {
    await receive();
    const button = screen.getByTestId('forget-case');
    await fireEvent.click(button);
    const cancel = screen.getByTestId('forget-cancel');
    await waitFor(() => expect(document.activeElement).toBe(cancel));
    const group = cancel.closest('[role="group"]')!;
    expect(group.getAttribute('aria-labelledby')).toBe('forget-question');
    expect(document.getElementById('forget-question')?.textContent).toMatch(/Remove this case from this computer now\?/);
    await fireEvent.click(cancel);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('forget-case')));
    expect(screen.queryByTestId('forget-confirm')).toBeNull();

    await fireEvent.click(screen.getByTestId('forget-case'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('forget-cancel')));
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('forget-case')));
    expect(fake.mock.calls).not.toContain('case_forget');
  });

  it('removes the case, says what went, and goes back to the list without it', async () => {
    const id = await receive();
    await fireEvent.click(screen.getByTestId('forget-case'));
    await fireEvent.click(screen.getByTestId('forget-confirm'));

    const done = await screen.findByTestId('forget-done');
    expect(done.closest('[role="status"]')).not.toBeNull();
    expect(done.textContent).toMatch(/The case was removed from this computer/);
    // The case, its testimony, violation, evidence and consent; Amal B., whom no other case names.
    expect(done.textContent).toMatch(/5 items deleted/);
    expect(done.textContent).toMatch(/1 person whom no other case names was deleted/);
    expect(done.textContent).toMatch(/receipt and acknowledgement for submission [0-9a-f]{8} stay/);
    expect(session.view).toEqual({ name: 'cases' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Cases' })).toBeTruthy();
    await waitFor(() => expect(caseTitles().some((t) => t.includes(OTHER))).toBe(true));
    expect(caseTitles().some((t) => t.includes(TITLE))).toBe(false);
    expect(fake.mock.holds(id)).toBe(false);
    expect(session.current).toBeNull();

    // The receipt and the acknowledgement stay: in the outbox and in the custody log.
    const outbox = await fake.outboxList();
    expect(outbox.find((r) => r.case_id === id)?.receipt).not.toBeNull();
    expect(outbox.find((r) => r.case_id === id)?.acknowledgement?.accepted).toBe(true);
    const log = await fake.custodyLog(null, null);
    expect(log.entries.some((e) => e.action === 'delivered' && e.item === id)).toBe(true);
    expect(log.entries.some((e) => e.action === 'acknowledged' && e.item === id)).toBe(true);

    await fireEvent.click(screen.getByTestId('forget-done-dismiss'));
    expect(screen.queryByTestId('forget-done')).toBeNull();

    // The Outbox still shows the receipt and OMCT's acknowledgement (as the end-to-end test checks).
    await fireEvent.click(screen.getByTestId('outbox-nav'));
    expect((await screen.findByTestId('receipt')).textContent).toMatch(/[0-9a-f]{64}/);
    expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('acknowledged');
    expect(screen.getByTestId('acknowledgement').textContent).toMatch(/Received by OMCT on/);
  });

  it('shows the refusal when the case changed after it was sent, and removes nothing', async () => {
    const id = await receive();
    // A second consent after the bundle was sealed: the acknowledgement no longer covers the case.
    await addConsent('Her brother');
    await tab('handover');
    await fireEvent.click(await screen.findByTestId('forget-case'));
    fake.mock.fail('caseForget', 'invalid_input', REFUSAL);
    await fireEvent.click(screen.getByTestId('forget-confirm'));
    const error = await screen.findByTestId('forget-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/Nothing was removed: OMCT has not confirmed receiving this case as it is now/);
    expect(error.textContent).toContain('submit it and wait until it shows "received by OMCT"; nothing was removed');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('forget-case')));
    expect(fake.mock.holds(id)).toBe(true);
    expect(session.view).toEqual({ name: 'case', id });
    expect(screen.queryByTestId('forget-done')).toBeNull();
  });

  it('removes nothing when the backend refuses a case never sent', async () => {
    await unlocked({ seed: true });
    const [first] = await fake.caseList({ query: null, status: null, violation: null, vulnerability: null, delivery: null });
    await expect(fake.caseForget(first.id)).rejects.toMatchObject({ code: 'invalid_input', message: REFUSAL });
    expect(fake.mock.holds(first.id)).toBe(true);
  });

  it('removes nothing when the backend refuses a case only on OMCT\'s server', async () => {
    const id = await deliver();
    await expect(fake.caseForget(id)).rejects.toMatchObject({ code: 'invalid_input', message: REFUSAL });
    expect(fake.mock.holds(id)).toBe(true);
  });
});

describe('deliver and forget, as a standing policy', () => {
  async function security() {
    await fireEvent.click(screen.getByTestId('settings-nav'));
    return (await screen.findByTestId('forget-policy')) as HTMLInputElement;
  }

  it('is off at first, saved on change, and read back from the backend', async () => {
    await unlocked();
    let box = await security();
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(box.checked).toBe(false);
    expect(box.getAttribute('aria-describedby')).toBe('forget-policy-about');
    expect(document.getElementById('forget-policy-about')?.textContent).toMatch(/passphrase and a copy of the disk/);
    expect(screen.getByLabelText('Remove cases from this computer once OMCT’s desk confirms receiving them')).toBe(box);
    const about = document.getElementById('forget-policy-about')?.textContent ?? '';
    expect(about).toMatch(/When OMCT’s desk confirms receiving a case/);
    expect(about).toMatch(/The server’s receipt alone is not enough/);

    await fireEvent.click(box);
    await waitFor(() => expect(fake.mock.forgetAfterDelivery).toBe(true));
    expect((await screen.findByTestId('forget-policy-saved')).textContent).toMatch(/removed from this computer/);

    // Leave and come back: the state comes from securitySettings().
    await fireEvent.click(screen.getByTestId('cases-nav'));
    box = await security();
    await waitFor(() => expect(box.checked).toBe(true));
    expect((await fake.securitySettings()).forget_after_delivery).toBe(true);

    await fireEvent.click(box);
    await waitFor(() => expect(fake.mock.forgetAfterDelivery).toBe(false));
    expect(screen.getByTestId('forget-policy-saved').textContent).toMatch(/stay on this computer/);
  });

  it('removes a case once OMCT\'s desk acknowledges it (not on the server\'s receipt), and leaves its open editor for the list', async () => {
    await unlocked({ seed: true, enrolled: true });
    const box = await security();
    await waitFor(() => expect(box.disabled).toBe(false));
    await fireEvent.click(box);
    await waitFor(() => expect(fake.mock.forgetAfterDelivery).toBe(true));
    await fireEvent.click(screen.getByTestId('cases-nav'));
    await openCase(TITLE);
    const id = session.current!.id;
    await addConsent('Amal B.');
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));

    // On OMCT's server only: the case stays, open.
    await waitFor(() => expect(status()).toBe('delivered'));
    await screen.findByTestId('forget-unavailable');
    expect(fake.mock.holds(id)).toBe(true);
    expect(session.view).toEqual({ name: 'case', id });

    fake.mock.acknowledge();
    const done = await screen.findByTestId('forget-done');
    expect(done.textContent).toMatch(/The case you had open was removed from this computer/);
    expect(session.view).toEqual({ name: 'cases' });
    expect(fake.mock.holds(id)).toBe(false);
    await waitFor(() => expect(caseTitles().some((t) => t.includes(OTHER))).toBe(true));
    expect(caseTitles().some((t) => t.includes(TITLE))).toBe(false);
    const outbox = await fake.outboxList();
    expect(outbox.find((r) => r.case_id === id)?.status).toBe('acknowledged');
  });

  it('keeps a case OMCT\'s desk refused', async () => {
    await unlocked({ seed: true, enrolled: true });
    const box = await security();
    await waitFor(() => expect(box.disabled).toBe(false));
    await fireEvent.click(box);
    await waitFor(() => expect(fake.mock.forgetAfterDelivery).toBe(true));
    await fireEvent.click(screen.getByTestId('cases-nav'));
    await openCase(TITLE);
    const id = session.current!.id;
    await addConsent('Amal B.');
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(status()).toBe('delivered'));

    fake.mock.flag(['unreadable bundle']);
    await waitFor(() => expect(status()).toBe('flagged'));
    expect((await screen.findByTestId('acknowledgement')).textContent).toMatch(/unreadable bundle/);
    expect(fake.mock.holds(id)).toBe(true);
    expect(session.view).toEqual({ name: 'case', id });
    expect(screen.queryByTestId('forget-done')).toBeNull();
  });
});
