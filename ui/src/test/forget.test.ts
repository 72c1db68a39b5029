// Deliver and forget: a case OMCT's server has signed a receipt for can be
// removed from this computer, by hand from the Handover tab or at once by
// the standing policy in Settings → Security.
import { describe, expect, it } from 'vitest';
import { session } from '../lib/session.svelte';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';
const OTHER = 'Disappearance of a lawyer';
/** The vault's refusal when no receipt covers the case as it is now. */
const REFUSAL =
  "this case has no delivery receipt covering its current state (not delivered yet, or changed since): submit it and wait for OMCT's receipt first; nothing was removed";

async function addConsent(name: string) {
  await tab('consents');
  const before = screen.queryAllByTestId('consent-row').length;
  await fireEvent.click(screen.getByTestId('consent-add'));
  type('consent-name', name);
  await fireEvent.click(screen.getByTestId('consent-scope-share_with_omct'));
  await fireEvent.click(screen.getByTestId('consent-save'));
  await waitFor(() => expect(screen.getAllByTestId('consent-row').length).toBe(before + 1));
}

/** Opens the seeded case, records consent, submits it and waits for OMCT's receipt. */
async function deliver(): Promise<string> {
  await unlocked({ seed: true, enrolled: true });
  await openCase(TITLE);
  const id = session.current!.id;
  await addConsent('Amal B.');
  await tab('handover');
  await fireEvent.click(screen.getByTestId('submit-case'));
  await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('delivered'));
  await screen.findByTestId('receipt');
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

  it('is offered only once the submission is delivered with a receipt', async () => {
    await unlocked({ seed: true, enrolled: true, delay: 30 });
    await openCase(TITLE);
    await addConsent('Amal B.');
    await tab('handover');
    await fireEvent.click(screen.getByTestId('submit-case'));
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('queued'));
    expect(screen.queryByTestId('forget-section')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('delivered'));
    const section = await screen.findByTestId('forget-section');
    expect(section.querySelector('h3')?.textContent).toBe('Remove this case from this computer');
    expect(section.textContent).toMatch(/signed a receipt/);
    expect(section.textContent).toMatch(/testimonies, its evidence and the people only this case names/);
    expect(section.textContent).toMatch(/OMCT keeps the copy it received/);
    expect(section.textContent).toMatch(/cannot be undone/);
    expect(section.textContent).toMatch(/still encrypted, in its files until it reuses the space/);
    expect(section.textContent).toMatch(/passphrase and a copy of the disk/);
  });

  it('asks first; Cancel and Escape remove nothing and give the focus back', async () => {
    await deliver();
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
    const id = await deliver();
    await fireEvent.click(screen.getByTestId('forget-case'));
    await fireEvent.click(screen.getByTestId('forget-confirm'));

    const done = await screen.findByTestId('forget-done');
    expect(done.closest('[role="status"]')).not.toBeNull();
    expect(done.textContent).toMatch(/The case was removed from this computer/);
    // The case, its testimony, violation, evidence and consent; Amal B., whom no other case names.
    expect(done.textContent).toMatch(/5 items deleted/);
    expect(done.textContent).toMatch(/1 person whom no other case names was deleted/);
    expect(done.textContent).toMatch(/receipt for submission [0-9a-f]{8} stays/);
    expect(session.view).toEqual({ name: 'cases' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Cases' })).toBeTruthy();
    await waitFor(() => expect(caseTitles().some((t) => t.includes(OTHER))).toBe(true));
    expect(caseTitles().some((t) => t.includes(TITLE))).toBe(false);
    expect(fake.mock.holds(id)).toBe(false);
    expect(session.current).toBeNull();

    // The receipt stays: in the outbox and in the custody log.
    const outbox = await fake.outboxList();
    expect(outbox.find((r) => r.case_id === id)?.receipt).not.toBeNull();
    const log = await fake.custodyLog(null, null);
    expect(log.entries.some((e) => e.action === 'delivered' && e.item === id)).toBe(true);

    await fireEvent.click(screen.getByTestId('forget-done-dismiss'));
    expect(screen.queryByTestId('forget-done')).toBeNull();
  });

  it('shows the refusal when the case changed after it was sent, and removes nothing', async () => {
    const id = await deliver();
    // A second consent after the bundle was sealed: the receipt no longer covers the case.
    await addConsent('Her brother');
    await tab('handover');
    await fireEvent.click(await screen.findByTestId('forget-case'));
    fake.mock.fail('caseForget', 'invalid_input', REFUSAL);
    await fireEvent.click(screen.getByTestId('forget-confirm'));
    const error = await screen.findByTestId('forget-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/Nothing was removed/);
    expect(error.textContent).toMatch(/submit it and wait for OMCT's receipt first/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('forget-case')));
    expect(fake.mock.holds(id)).toBe(true);
    expect(session.view).toEqual({ name: 'case', id });
    expect(screen.queryByTestId('forget-done')).toBeNull();
  });

  it('removes nothing when the backend refuses', async () => {
    await unlocked({ seed: true });
    const [first] = await fake.caseList({ query: null, status: null, violation: null, vulnerability: null, delivery: null });
    fake.mock.fail('caseForget', 'invalid_input', REFUSAL);
    await expect(fake.caseForget(first.id)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(fake.mock.holds(first.id)).toBe(true);
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
    expect(screen.getByLabelText('Remove cases from this computer as soon as OMCT confirms receipt')).toBe(box);

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

  it('removes a case as soon as it is delivered, and leaves its open editor for the list', async () => {
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

    const done = await screen.findByTestId('forget-done');
    expect(done.textContent).toMatch(/The case you had open was removed from this computer/);
    expect(session.view).toEqual({ name: 'cases' });
    expect(fake.mock.holds(id)).toBe(false);
    await waitFor(() => expect(caseTitles().some((t) => t.includes(OTHER))).toBe(true));
    expect(caseTitles().some((t) => t.includes(TITLE))).toBe(false);
    const outbox = await fake.outboxList();
    expect(outbox.find((r) => r.case_id === id)?.status).toBe('delivered');
  });
});
