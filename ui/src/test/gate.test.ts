import { describe, expect, it } from 'vitest';
import { fake, fireEvent, screen, start, type, unlocked, waitFor } from './helpers';

describe('first run', () => {
  it('explains the passphrase and creates the vault only when strong and confirmed', async () => {
    await start();
    await screen.findByTestId('create-passphrase');
    expect(document.body.textContent).toMatch(/no reset/);
    const submit = screen.getByTestId('create-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    expect(screen.getByText(/Type a passphrase to begin/)).toBeTruthy();

    type('create-passphrase', 'short words');
    await screen.findByText(/too easy to guess/);
    expect(screen.getByText(/Strength: weak/)).toBeTruthy();
    expect(submit.disabled).toBe(true);

    type('create-passphrase', 'correct horse battery staple');
    await screen.findByText(/Type the passphrase a second time/);
    type('create-confirm', 'correct horse battery stapler');
    await screen.findByText(/are not the same/);
    expect(submit.disabled).toBe(true);

    type('create-confirm', 'correct horse battery staple');
    await waitFor(() => expect(submit.disabled).toBe(false));
    await fireEvent.click(submit);
    await screen.findByTestId('lock-button');
    expect(fake.mock.calls).toContain('vault_create');
  });

  it('tells in plain words when this computer can write memory to the disk, and nothing when it cannot', async () => {
    await start();
    await screen.findByTestId('create-passphrase');
    expect(screen.queryByTestId('memory-warning')).toBeNull();
  });

  it('names unencrypted swap, hibernation and keys that could not be locked on the first-run screen', async () => {
    await start({ memory: { unencrypted_swap: true, unknown_swap: false, hibernation: true, keys_locked: false } });
    const warning = await screen.findByTestId('memory-warning');
    expect(warning.textContent).toMatch(/swap space is not encrypted/);
    expect(warning.textContent).toMatch(/Hibernation is set up/);
    expect(warning.textContent).toMatch(/refused to keep the vault's keys out of the swap/);
    expect(warning.textContent).not.toMatch(/could not be told/);
  });

  it('shows translated zxcvbn feedback', async () => {
    await start();
    fake.mock.answer('passphraseStrength', {
      score: 0,
      guesses_log10: 1,
      warning: 'this_is_a_top10_password',
      suggestions: ['add_another_word_or_two'],
    });
    type(await screen.findByTestId('create-passphrase').then(() => 'create-passphrase'), 'password');
    await screen.findByText(/ten most common passwords/);
  });
});

describe('unlock', () => {
  it('says clearly when the passphrase is wrong, and shows nothing of the vault', async () => {
    await start({ vault: 'locked', seed: true });
    await screen.findByTestId('unlock-passphrase');
    expect(document.body.textContent).not.toMatch(/Arrest of three students/);
    expect(screen.getByTestId('language-select')).toBeTruthy();
    type('unlock-passphrase', 'not it');
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    const error = await screen.findByTestId('unlock-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/does not open this vault/);
    expect((screen.getByTestId('unlock-passphrase') as HTMLInputElement).value).toBe('');
  });

  it('opens on the right passphrase', async () => {
    await start({ vault: 'locked', seed: true });
    await screen.findByTestId('unlock-passphrase');
    type('unlock-passphrase', 'correct horse battery staple');
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await screen.findByTestId('lock-button');
    expect((await screen.findAllByTestId('case-row')).length).toBe(2);
  });

  it('switches language on the lock screen, right to left for Arabic', async () => {
    await start({ vault: 'locked' });
    const select = (await screen.findByTestId('language-select')) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'ar' } });
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('ar');
    expect(screen.getByTestId('unlock-submit').textContent?.trim()).toBe('افتح');
    await waitFor(() => expect(fake.mock.calls).toContain('set_language'));
  });
});

describe('a vault not as it was last saved', () => {
  it('says at once, in plain words, what unlock held back, and says nothing when all is well', async () => {
    await unlocked({ seed: true, damage: { damaged: 2, rolled_back: 3 } });
    const notice = await screen.findByTestId('damage-notice');
    expect(notice.getAttribute('role')).toBe('alert');
    expect(notice.textContent).toMatch(/2 item\(s\) are held back/);
    expect(notice.textContent).toMatch(/3 thing\(s\) were put back from an older copy/);
    expect(notice.textContent).toMatch(/temoin verify/);
  });

  it('shows no notice for a vault that is as it was saved', async () => {
    await unlocked({ seed: true });
    await screen.findByTestId('lock-button');
    expect(screen.queryByTestId('damage-notice')).toBeNull();
  });
});
