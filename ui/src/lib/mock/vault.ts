// The fake's app and vault commands: state, passphrases, locking, settings.

import { AppError } from '../errors';
import type { Strength, Vocabulary } from '../types';
import VOCABULARY from '../vocabulary.json';
import { command, vaultCommand } from './command';
import { emit, listeners } from './events';
import { log } from './records';
import { seed } from './seed';
import { clone, emptyVault, renew, setting, state } from './state';

const lists: Vocabulary = VOCABULARY;

/** Everything of the vault goes; what lies outside it (settings, backups, the test's script) stays. */
export function wipeVault(): void {
  const { language, neutral, backups, autoLock, demo, delay, autoAcknowledge, picked, folder, seedOnCreate, touches, calls, script, mode, desk, deskOpen } = state;
  renew({ language, neutral, backups, autoLock, demo, delay, autoAcknowledge, picked, folder, seedOnCreate, touches, calls, script, mode, desk, deskOpen });
}

/** A new vault that `passphrase` opens. */
export function createVault(passphrase: string): void {
  const own = emptyVault();
  state.vaults = new Map([[passphrase, own]]);
  state.passphrase = passphrase;
  log(own, 'vault_created', null);
}

export const appState = command('appState', async () => ({
  version: '0.1.0-mock', vault_exists: state.vaults.size > 0, unlocked: state.open !== null, language: state.language,
  auto_lock_minutes: state.autoLock, demo: clone(state.demo), neutral: state.neutral,
  memory: clone(state.memory),
  damage: clone(state.damage),
  mode: state.mode, desk_exists: state.desk !== null, desk_unlocked: state.deskOpen,
}));

/** A stand-in for zxcvbn: longer is stronger. */
export const passphraseStrength = command('passphraseStrength', async (passphrase): Promise<Strength> => {
  const len = [...passphrase].length;
  const score = len < 8 ? 0 : len < 12 ? 1 : len < 16 ? 2 : len < 20 ? 3 : 4;
  const warning = score < 2 && len > 0 ? 'a_word_by_itself_is_easy_to_guess' : null;
  const suggestions = score < 3 ? ['use_a_few_words_avoid_common_phrases', 'add_another_word_or_two'] : [];
  return { score, guesses_log10: len * 1.1, warning, suggestions };
});

export const vaultCreate = command('vaultCreate', async (passphrase) => {
  createVault(passphrase);
  state.open = state.vaults.get(passphrase) ?? null;
  if (state.seedOnCreate) seed();
  return null;
});

/** Opens what the passphrase opens; a shredding duress passphrase first destroys the vault. */
export const vaultUnlock = command('vaultUnlock', async (passphrase) => {
  if (state.vaults.size === 0) throw new AppError('no_vault', 'there is no vault yet');
  const opened = state.vaults.get(passphrase);
  if (!opened) throw new AppError('wrong_passphrase', 'the passphrase opens no slot');
  if (state.duress?.passphrase === passphrase && state.duress.outcome === 'shred') {
    state.vaults = new Map([[passphrase, opened]]);
    state.passphrase = passphrase;
    state.duress = null;
  }
  state.open = opened;
  return null;
});

/** Locks the vault and the desk alike, as the backend does. */
export const vaultLock = command('vaultLock', async () => {
  const was = state.open !== null || state.deskOpen;
  state.open = null;
  state.deskOpen = false;
  if (was) emit(listeners.locked, 'user');
  return null;
});

export const panicWipe = command('panicWipe', async () => {
  wipeVault();
  emit(listeners.locked, 'panic');
  return null;
});

export const touch = command('touch', async () => {
  state.touches += 1;
  return null;
});
export const setLanguage = command('setLanguage', setting('language'));
export const setAutoLock = command('setAutoLock', setting('autoLock'));
export const setNeutral = command('setNeutral', setting('neutral'));
export const clipboardCopied = command('clipboardCopied', async () => null);
export const ping = command('ping', async () => Date.now());
export const vocabulary = command('vocabulary', async () => clone(lists));
export const securitySettings = vaultCommand('securitySettings', async () => ({
  attempt_limit: state.attemptLimit,
  forget_after_delivery: state.forgetAfterDelivery,
}));
export const setAttemptLimit = vaultCommand('setAttemptLimit', setting('attemptLimit'));
export const setForgetAfterDelivery = vaultCommand('setForgetAfterDelivery', setting('forgetAfterDelivery'));
