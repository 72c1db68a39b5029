import { describe, expect, it } from 'vitest';
import { session } from '../lib/session.svelte';
import { fake, fireEvent, openCase, screen, tab, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';

async function openSeededCase() {
  await unlocked({ seed: true });
  await openCase(TITLE);
  await tab('evidence');
  await fireEvent.click(await screen.findByTestId('evidence-thumb'));
  await screen.findByTestId('evidence-meta');
}

function nothingLeft() {
  expect(document.body.textContent).not.toContain(TITLE);
  expect(document.body.textContent).not.toContain('bruise.jpg');
  expect(document.querySelectorAll('img').length).toBe(0);
  expect(session.current).toBeNull();
  expect(session.cases).toEqual([]);
  expect(session.thumbs).toEqual({});
  expect(session.outbox).toEqual([]);
  expect(session.vocabulary).toBeNull();
}

describe('locking', () => {
  it('the Lock button leaves only the unlock screen', async () => {
    await openSeededCase();
    expect(document.body.textContent).toContain(TITLE);
    await fireEvent.click(screen.getByTestId('lock-button'));
    await screen.findByTestId('unlock-passphrase');
    nothingLeft();
    expect(fake.mock.calls).toContain('vault_lock');
  });

  it('the backend "locked" event (idle) does the same, and says why', async () => {
    await openSeededCase();
    fake.mock.lockFromBackend('idle');
    await screen.findByTestId('unlock-passphrase');
    nothingLeft();
    expect(screen.getByRole('status').textContent).toMatch(/not used for a while/);
  });

  it('a call answered "locked" locks the interface too', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    // The backend locked without the event reaching us.
    fake.mock.lockFromBackend('panic');
    await screen.findByTestId('unlock-passphrase');
    nothingLeft();
  });

  it('tells the backend the person is active, at most every twenty seconds', async () => {
    await unlocked();
    await fireEvent.keyDown(document.body, { key: 'a' });
    await fireEvent.pointerDown(document.body);
    await waitFor(() => expect(fake.mock.touches).toBe(1));
  });
});
