// The fake's answers to seizure and coercion: the duress passphrase and its
// spare store, backups to a recovery passphrase.

import { AppError } from '../errors';
import { command, vaultCommand } from './command';
import { copyVault, emptyVault, state } from './state';
import { vaultUnlock } from './vault';

/** The duress passphrase opens a spare store, empty at first. */
export const setDuress = vaultCommand('setDuress', async (_current, duress, outcome) => {
  state.duress = { passphrase: duress, outcome };
  state.vaults.set(duress, emptyVault());
  return null;
});

export const removeDuress = vaultCommand('removeDuress', async () => {
  if (state.duress) state.vaults.delete(state.duress.passphrase);
  state.duress = null;
  return null;
});

/** A copy of the vault's own store, whichever is open: the backup is of the vault's folder. */
export const backupCreate = vaultCommand('backupCreate', async (folder, recovery) => {
  const base = `${folder.replace(/\/+$/, '')}/temoin-backup-2025-01-01`;
  let path = `${base}.age`;
  for (let n = 2; state.backups.has(path); n++) path = `${base}-${n}.age`;
  const own = copyVault(state.vaults.get(state.passphrase) ?? emptyVault());
  state.backups.set(path, { recovery, passphrase: state.passphrase, vault: own });
  return { path, files: own.items.size + 2, bytes: 4096 + own.items.size * 1_000_000 };
});

/** The backup becomes the vault, then opens with `passphrase` (or stays, locked). */
export const backupRestore = command('backupRestore', async (file, recovery, passphrase) => {
  const backup = state.backups.get(file);
  if (!backup) throw new AppError('io', 'the backup file cannot be read');
  if (recovery !== backup.recovery) throw new AppError('wrong_passphrase', 'the recovery passphrase does not open this backup');
  state.vaults = new Map([[backup.passphrase, copyVault(backup.vault)]]);
  state.passphrase = backup.passphrase;
  await vaultUnlock(passphrase);
  return null;
});
