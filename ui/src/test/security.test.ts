// Seizure and coercion in the interface: the panic wipe (shortcut and
// dialog), the wrong-passphrase limit, the duress passphrase, backup and
// restore, the neutral face, the clipboard.
import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/svelte';
import App from '../App.svelte';
import { session } from '../lib/session.svelte';
import { useBackend } from '../lib/backend';
import { AppError } from '../lib/errors';
import { applyLanguage } from '../lib/i18n.svelte';
import { fake, fireEvent, openCase, screen, start, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';
const PASSPHRASE = 'correct horse battery staple';
const STRONG = 'purple elephants dance quietly at dawn';
const RECOVERY = 'seven green lanterns over the harbour';

function shortcut(target: Element = document.activeElement ?? document.body) {
  return fireEvent.keyDown(target, { key: 'W', code: 'KeyW', ctrlKey: true, shiftKey: true, altKey: true });
}

/** The page behind the dialog is inert (jsdom has no `inert` property of its own). */
function inert(): boolean {
  const root = document.querySelector('.app-root') as (HTMLElement & { inert?: boolean }) | null;
  return !!root && (root.hasAttribute('inert') || root.inert === true);
}

async function settings() {
  await fireEvent.click(screen.getByTestId('settings-nav'));
  await screen.findByRole('heading', { level: 1, name: 'Settings' });
}

/** Sets a decoy duress passphrase (STRONG) from the Security settings. */
async function setDecoy() {
  type('duress-current', PASSPHRASE);
  type('duress-passphrase', STRONG);
  type('duress-confirm', STRONG);
  await fireEvent.click(screen.getByTestId('duress-outcome-decoy'));
  const save = screen.getByTestId('duress-save') as HTMLButtonElement;
  await waitFor(() => expect(save.disabled).toBe(false));
  await fireEvent.click(save);
  await screen.findByTestId('duress-done');
}

/** Locks, then unlocks with `passphrase`. */
async function relock(passphrase: string) {
  await fireEvent.click(screen.getByTestId('lock-button'));
  type('unlock-passphrase', passphrase);
  await fireEvent.click(await screen.findByTestId('unlock-submit'));
  await screen.findByTestId('lock-button');
}

describe('panic wipe', () => {
  it('opens from the unlock screen with the shortcut, focused on "Wipe now"; Escape cancels', async () => {
    await start({ vault: 'locked', seed: true });
    const input = await screen.findByTestId('unlock-passphrase');
    await waitFor(() => expect(document.activeElement).toBe(input));
    await shortcut();
    const dialog = await screen.findByTestId('wipe-dialog');
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.getAttribute('aria-labelledby')).toBe('wipe-title');
    expect(dialog.textContent).toMatch(/cannot be undone/);
    expect(dialog.textContent).toMatch(/copy of the disk made before/);
    expect(dialog.textContent).toMatch(/In some places destroying material is itself an offence/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('wipe-confirm')));
    // The page behind cannot be reached.
    expect(inert()).toBe(true);

    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('wipe-dialog')).toBeNull());
    expect(fake.mock.calls).not.toContain('panic_wipe');
    expect((await fake.appState()).vault_exists).toBe(true);
    expect(inert()).toBe(false);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('unlock-passphrase')));
  });

  it('keeps Tab inside the dialog', async () => {
    await start({ vault: 'locked' });
    await screen.findByTestId('unlock-passphrase');
    await shortcut();
    const cancel = await screen.findByTestId('wipe-cancel');
    cancel.focus();
    await fireEvent.keyDown(cancel, { key: 'Tab' });
    const first = document.activeElement as HTMLElement;
    expect(screen.getByTestId('wipe-dialog').contains(first)).toBe(true);
    expect(first.tagName).toBe('SUMMARY');
    await fireEvent.keyDown(first, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(cancel);
  });

  it('wipes from the main screen and lands on the first-run screen with nothing of the vault left', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    expect(document.body.textContent).toContain(TITLE);
    await shortcut();
    await screen.findByTestId('wipe-dialog');
    await fireEvent.click(screen.getByTestId('wipe-confirm'));
    await screen.findByTestId('create-passphrase');
    expect(screen.queryByTestId('wipe-dialog')).toBeNull();
    expect(fake.mock.calls).toContain('panic_wipe');
    expect((await fake.appState()).vault_exists).toBe(false);
    expect(document.body.textContent).not.toContain(TITLE);
    expect(document.body.textContent).not.toContain('Amal B.');
    expect(document.querySelectorAll('img').length).toBe(0);
    expect(session.current).toBeNull();
    expect(session.cases).toEqual([]);
    expect(session.vocabulary).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1 })));
  });

  it('opens from Settings, says the shortcut there, and Cancel gives focus back', async () => {
    await unlocked();
    await settings();
    expect(screen.getByText('Ctrl+Shift+Alt+W').tagName).toBe('KBD');
    const open = screen.getByTestId('wipe-open');
    expect(open.getAttribute('aria-keyshortcuts')).toBe('Control+Shift+Alt+W');
    open.focus();
    await fireEvent.click(open);
    await screen.findByTestId('wipe-dialog');
    await fireEvent.click(screen.getByTestId('wipe-cancel'));
    await waitFor(() => expect(screen.queryByTestId('wipe-dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('wipe-open')));
    expect(fake.mock.calls).not.toContain('panic_wipe');
  });
});

describe('wrong-passphrase limit', () => {
  it('loads, saves a limit and turns it off again', async () => {
    await unlocked();
    await settings();
    const select = screen.getByTestId('attempt-limit') as HTMLSelectElement;
    await waitFor(() => expect(select.disabled).toBe(false));
    expect(select.value).toBe('0');
    expect([...select.options].map((o) => o.value)).toEqual(['0', ...Array.from({ length: 18 }, (_, i) => String(i + 3))]);
    expect(document.body.textContent).toMatch(/does not stop someone who copies the disk first/);
    expect(document.body.textContent).toMatch(/an examiner can see that it is set/);
    expect(document.body.textContent).toMatch(/Your own mistakes count too/);
    await fireEvent.change(select, { target: { value: '5' } });
    await fireEvent.click(screen.getByTestId('attempt-limit-save'));
    const saved = await screen.findByTestId('attempt-limit-saved');
    expect(saved.textContent).toMatch(/after 5 wrong passphrases in a row/);
    expect(fake.mock.attemptLimit).toBe(5);
    await fireEvent.change(select, { target: { value: '0' } });
    await fireEvent.click(screen.getByTestId('attempt-limit-save'));
    await waitFor(() => expect(screen.getByTestId('attempt-limit-saved').textContent).toMatch(/no limit/));
    expect(fake.mock.attemptLimit).toBeNull();
  });
});

describe('a vault the limit wiped', () => {
  it('leads to the first-run screen', async () => {
    await start({ vault: 'locked', seed: true });
    await fake.vaultUnlock(PASSPHRASE);
    await fake.setAttemptLimit(3);
    await fake.vaultLock();
    await screen.findByTestId('unlock-passphrase');
    for (let i = 0; i < 3; i++) {
      type('unlock-passphrase', `wrong ${i}`);
      await fireEvent.click(screen.getByTestId('unlock-submit'));
      await waitFor(() => expect(fake.mock.calls.filter((c) => c === 'vault_unlock')).toHaveLength(i + 2));
      await screen.findByTestId('unlock-error');
    }
    // At the limit the backend wipes the vault: the next unlock finds none.
    fake.mock.wipe();
    type('unlock-passphrase', PASSPHRASE);
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await screen.findByTestId('create-passphrase');
  });
});

describe('duress passphrase', () => {
  const why = () => screen.getByTestId('duress-why').textContent ?? '';
  const save = () => screen.getByTestId('duress-save') as HTMLButtonElement;

  it('refuses a duress passphrase equal to the vault’s, weak or not confirmed, before asking the backend', async () => {
    await unlocked();
    await settings();
    expect(why()).toMatch(/Type your own passphrase first/);
    type('duress-current', PASSPHRASE);
    type('duress-passphrase', PASSPHRASE);
    await waitFor(() => expect(why()).toMatch(/must be different from your passphrase/));
    expect(screen.getByTestId('duress-passphrase').getAttribute('aria-invalid')).toBe('true');
    type('duress-passphrase', 'short');
    await waitFor(() => expect(why()).toMatch(/too easy to guess/));
    expect(screen.getByText(/Strength: very weak/)).toBeTruthy();
    type('duress-passphrase', STRONG);
    await waitFor(() => expect(why()).toMatch(/a second time/));
    type('duress-confirm', `${STRONG}s`);
    await waitFor(() => expect(why()).toMatch(/are not the same/));
    type('duress-confirm', STRONG);
    await waitFor(() => expect(why()).toMatch(/Choose what the duress passphrase does/));
    expect(save().disabled).toBe(true);
    expect(fake.mock.calls).not.toContain('set_duress');
  });

  it('sets a decoy, then says how to fill the spare vault, and refuses a second one', async () => {
    await unlocked();
    await settings();
    expect(document.body.textContent).toMatch(/shows that a second store exists/);
    expect(document.body.textContent).toMatch(/A copy of the disk taken before keeps everything/);
    expect(document.body.textContent).toMatch(/may keep asking/);
    type('duress-current', PASSPHRASE);
    type('duress-passphrase', STRONG);
    type('duress-confirm', STRONG);
    await fireEvent.click(screen.getByTestId('duress-outcome-decoy'));
    await waitFor(() => expect(save().disabled).toBe(false));
    await fireEvent.click(save());
    const done = await screen.findByTestId('duress-done');
    expect(done.textContent).toMatch(/unlock with the duress passphrase/);
    expect(fake.mock.duress).toBe('decoy');
    expect((screen.getByTestId('duress-current') as HTMLInputElement).value).toBe('');

    type('duress-current', PASSPHRASE);
    type('duress-passphrase', `${STRONG} again`);
    type('duress-confirm', `${STRONG} again`);
    await fireEvent.click(screen.getByTestId('duress-outcome-shred'));
    await waitFor(() => expect(save().disabled).toBe(false));
    fake.mock.fail('setDuress', 'invalid_input', 'a duress passphrase is already set');
    await fireEvent.click(save());
    const error = await screen.findByTestId('duress-error');
    expect(error.textContent).toMatch(/already set/);
    expect(fake.mock.duress).toBe('decoy');
  });

  it('warns not to try a shredding passphrase, and says when the current passphrase is wrong', async () => {
    await unlocked();
    await settings();
    type('duress-current', 'not the passphrase');
    type('duress-passphrase', STRONG);
    type('duress-confirm', STRONG);
    await fireEvent.click(screen.getByTestId('duress-outcome-shred'));
    await waitFor(() => expect(save().disabled).toBe(false));
    fake.mock.fail('setDuress', 'wrong_passphrase', 'the current passphrase opens no slot');
    await fireEvent.click(save());
    expect((await screen.findByTestId('duress-error')).textContent).toMatch(/not the passphrase of this vault/);
    expect((screen.getByTestId('duress-current') as HTMLInputElement).value).toBe('');
    type('duress-current', PASSPHRASE);
    await waitFor(() => expect(save().disabled).toBe(false));
    await fireEvent.click(save());
    const done = await screen.findByTestId('duress-done');
    expect(done.textContent).toMatch(/Do not try it/);
    expect(done.textContent).not.toMatch(/unlock with the duress passphrase/);
    expect(fake.mock.duress).toBe('shred');
  });

  it('unlocks with the duress passphrase exactly like with the real one', async () => {
    await unlocked({ seed: true });
    await settings();
    await setDecoy();
    await relock(STRONG);
    await screen.findByText(/No cases yet/);
    expect(document.body.textContent).not.toContain(TITLE);
    expect(document.body.textContent).not.toMatch(/spare|decoy|duress/i);
  });

  it('is removed with the vault’s own passphrase, never from the spare vault', async () => {
    const remove = () => screen.getByTestId('duress-remove') as HTMLButtonElement;
    const removeError = async () => (await screen.findByTestId('duress-remove-error')).textContent ?? '';
    await unlocked({ seed: true });
    await settings();
    expect(remove().disabled).toBe(true);
    await setDecoy();

    // In the spare vault: refused, and the field is emptied.
    await relock(STRONG);
    await settings();
    type('duress-remove-current', STRONG);
    fake.mock.fail('removeDuress', 'invalid_input', "the duress passphrase is removed after unlocking with the vault's own passphrase");
    await fireEvent.click(remove());
    expect(await removeError()).toMatch(/own passphrase/);
    expect((screen.getByTestId('duress-remove-current') as HTMLInputElement).value).toBe('');
    expect(fake.mock.duress).toBe('decoy');

    await relock(PASSPHRASE);
    await settings();
    type('duress-remove-current', 'not the passphrase');
    fake.mock.fail('removeDuress', 'wrong_passphrase', 'the current passphrase opens no slot');
    await fireEvent.click(remove());
    expect(await removeError()).toMatch(/Nothing was removed/);
    expect(fake.mock.duress).toBe('decoy');
    type('duress-remove-current', PASSPHRASE);
    await fireEvent.click(remove());
    expect((await screen.findByTestId('duress-removed')).textContent).toMatch(/now opens nothing/);
    expect(screen.queryByTestId('duress-remove-error')).toBeNull();
    expect(fake.mock.duress).toBeNull();
    type('duress-remove-current', PASSPHRASE);
    fake.mock.fail('removeDuress', 'invalid_input', 'no duress passphrase is set');
    await fireEvent.click(remove());
    expect(await removeError()).toMatch(/no duress passphrase is set/);
  });
});

describe('backup and restore', () => {
  it('writes a backup to the chosen folder and shows where', async () => {
    await unlocked({ seed: true });
    await settings();
    expect(document.body.textContent).toMatch(/whoever holds the file can try passphrases on it/);
    expect(document.body.textContent).toMatch(/Wiping this computer does not wipe the backup/);
    expect(document.body.textContent).toMatch(/the vault’s own passphrase is still needed/);
    const create = screen.getByTestId('backup-create') as HTMLButtonElement;
    type('backup-recovery', 'weak');
    await screen.findByText(/This recovery passphrase is too easy to guess/);
    type('backup-recovery', RECOVERY);
    type('backup-recovery-confirm', RECOVERY);
    await screen.findByText(/Choose the folder to write the backup into/);
    expect(create.disabled).toBe(true);
    fake.mock.pickFolderNext('/media/usb-stick');
    await fireEvent.click(screen.getByTestId('backup-choose'));
    await waitFor(() => expect(create.disabled).toBe(false));
    expect((screen.getByTestId('backup-folder') as HTMLInputElement).value).toBe('/media/usb-stick');
    await fireEvent.click(create);
    const result = await screen.findByTestId('backup-result');
    expect(result.textContent).toContain('/media/usb-stick/temoin-backup-2025-01-01.age');
    expect(fake.mock.backups).toEqual(['/media/usb-stick/temoin-backup-2025-01-01.age']);
    expect((screen.getByTestId('backup-recovery') as HTMLInputElement).value).toBe('');
  });

  it('writes to a typed folder path, and shows the backend’s refusal', async () => {
    const backupCreate = vi.fn(fake.backupCreate);
    useBackend({ ...fake, backupCreate });
    try {
      await unlocked();
      await settings();
      type('backup-recovery', RECOVERY);
      type('backup-recovery-confirm', RECOVERY);
      type('backup-folder', '/media/missing');
      const create = screen.getByTestId('backup-create') as HTMLButtonElement;
      await waitFor(() => expect(create.disabled).toBe(false));
      fake.mock.fail('backupCreate', 'invalid_input', 'the chosen folder does not exist');
      await fireEvent.click(create);
      expect((await screen.findByTestId('backup-error')).textContent).toMatch(/folder does not exist/);
      expect(backupCreate).toHaveBeenCalledWith('/media/missing', RECOVERY);
    } finally {
      useBackend(fake);
    }
  });

  /** A backup of the seeded vault, then a wiped computer: the first-run screen. */
  async function wipedWithBackup(): Promise<string> {
    fake.mock.reset({ vault: 'unlocked', seed: true });
    const { path } = await fake.backupCreate('/media/usb', RECOVERY);
    await fake.panicWipe();
    fake.mock.pickFilesNext([path, '/media/usb/other.age']);
    render(App);
    await fireEvent.click(await screen.findByTestId('restore-open'));
    await screen.findByRole('heading', { level: 1, name: 'Restore a vault from a backup' });
    return path;
  }

  it('restores a backup on a computer without a vault and opens it', async () => {
    const path = await wipedWithBackup();
    const submit = screen.getByTestId('restore-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('restore-choose'));
    await waitFor(() => expect((screen.getByTestId('restore-file') as HTMLInputElement).value).toBe(path));
    type('restore-recovery', RECOVERY);
    type('restore-passphrase', PASSPHRASE);
    await waitFor(() => expect(submit.disabled).toBe(false));
    await fireEvent.click(submit);
    await screen.findByTestId('lock-button');
    expect((await screen.findAllByTestId('case-row')).length).toBe(2);
  });

  it('says when the recovery passphrase is wrong, and stays on the first screen', async () => {
    const path = await wipedWithBackup();
    type('restore-file', path);
    type('restore-recovery', 'not the recovery');
    type('restore-passphrase', PASSPHRASE);
    await fireEvent.click(screen.getByTestId('restore-submit'));
    const error = await screen.findByTestId('restore-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/recovery passphrase does not open this backup/);
    expect((screen.getByTestId('restore-recovery') as HTMLInputElement).value).toBe('');
    expect((await fake.appState()).vault_exists).toBe(false);
    await fireEvent.click(screen.getByTestId('restore-back'));
    await screen.findByTestId('create-passphrase');
  });

  it('goes to the unlock screen when the backup is restored but the vault’s passphrase is wrong', async () => {
    const path = await wipedWithBackup();
    type('restore-file', path);
    type('restore-recovery', RECOVERY);
    type('restore-passphrase', 'not the vault passphrase');
    await fireEvent.click(screen.getByTestId('restore-submit'));
    const notice = await screen.findByTestId('restore-notice');
    expect(notice.textContent).toMatch(/restored on this computer, but that passphrase does not open the vault/);
    type('unlock-passphrase', PASSPHRASE);
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await screen.findByTestId('lock-button');
  });
});

describe('neutral face', () => {
  it('renames the app at once in the header and the window title', async () => {
    await unlocked();
    expect(screen.getByTestId('brand').textContent).toBe('Témoin');
    await waitFor(() => expect(document.title).toBe('Témoin'));
    await settings();
    expect(document.body.textContent).toMatch(/does not hide the app/);
    const toggle = screen.getByTestId('neutral-toggle') as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    await fireEvent.click(toggle);
    await waitFor(() => expect(screen.getByTestId('brand').textContent).toBe('Notes'));
    expect(document.title).toBe('Notes');
    expect((await fake.appState()).neutral).toBe(true);
    applyLanguage('es');
    await waitFor(() => expect(screen.getByTestId('brand').textContent).toBe('Notas'));
    expect(document.title).toBe('Notas');
    applyLanguage('en');
    await fireEvent.click(screen.getByTestId('neutral-toggle'));
    await waitFor(() => expect(screen.getByTestId('brand').textContent).toBe('Témoin'));
    expect(document.title).toBe('Témoin');
  });

  it('shows no trace of the name on the lock and first-run screens', async () => {
    await start({ vault: 'locked', neutral: true });
    await screen.findByTestId('unlock-passphrase');
    expect(screen.getByTestId('brand').textContent).toBe('Notes');
    expect(document.body.textContent).not.toMatch(/Témoin/);
    await waitFor(() => expect(document.title).toBe('Notes'));
  });

  it('names the neutral app in the first-run text too', async () => {
    await start({ neutral: true, language: 'ar' });
    await screen.findByTestId('create-passphrase');
    expect(screen.getByTestId('brand').textContent).toBe('ملاحظات');
    expect(document.body.textContent).not.toMatch(/Témoin/);
    expect(document.title).toBe('ملاحظات');
  });
});

describe('clipboard', () => {
  it('tells the backend about every copy', async () => {
    await unlocked();
    document.dispatchEvent(new Event('copy', { bubbles: true }));
    await waitFor(() => expect(fake.mock.calls.filter((c) => c === 'clipboard_copied')).toHaveLength(1));
    await settings();
    expect(document.body.textContent).toMatch(/cleared from the clipboard after 30 seconds/);
  });

  it('does so on the lock screen too, and ignores a failure', async () => {
    const clipboardCopied = vi.fn(() => Promise.reject(new AppError('internal', 'no clipboard')));
    useBackend({ ...fake, clipboardCopied });
    try {
      await start({ vault: 'locked' });
      await screen.findByTestId('unlock-passphrase');
      document.dispatchEvent(new Event('copy', { bubbles: true }));
      await waitFor(() => expect(clipboardCopied).toHaveBeenCalledTimes(1));
      expect(screen.queryByRole('alert')).toBeNull();
    } finally {
      useBackend(fake);
    }
  });
});
