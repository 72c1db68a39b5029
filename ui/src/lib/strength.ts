// What the strength meter shows, and why "Create" is still disabled.

import type { Strength } from './types';

export const MIN_SCORE = 3;

export const STRENGTH_WORDS = ['very_weak', 'weak', 'fair', 'strong', 'very_strong'] as const;
export type StrengthWord = (typeof STRENGTH_WORDS)[number];

export interface StrengthLevel {
  score: number;
  word: StrengthWord;
  /** Width of the bar, 0..100; never 0 once something is typed. */
  percent: number;
  enough: boolean;
}

export function strengthLevel(strength: Strength): StrengthLevel {
  const score = Math.max(0, Math.min(4, Math.round(strength.score)));
  return { score, word: STRENGTH_WORDS[score], percent: (score + 1) * 20, enough: score >= MIN_SCORE };
}

/** Why the vault cannot be created yet, or null when it can. */
export type CreateBlocker = 'empty' | 'checking' | 'too_weak' | 'confirm_empty' | 'mismatch';

export function createBlocker(
  passphrase: string,
  confirm: string,
  strength: Strength | null,
  checkedFor: string | null,
): CreateBlocker | null {
  if (passphrase.length === 0) return 'empty';
  if (strength === null || checkedFor !== passphrase) return 'checking';
  if (strength.score < MIN_SCORE) return 'too_weak';
  if (confirm.length === 0) return 'confirm_empty';
  if (confirm !== passphrase) return 'mismatch';
  return null;
}

/** Why the duress passphrase cannot be set yet, or null when it can. */
export type DuressBlocker = 'current_empty' | 'same_as_current' | CreateBlocker | 'outcome';

export function duressBlocker(
  current: string,
  duress: string,
  confirm: string,
  strength: Strength | null,
  checkedFor: string | null,
  outcome: string | null,
): DuressBlocker | null {
  if (current.length === 0) return 'current_empty';
  // Equal to the vault's passphrase, it could not tell the two apart.
  if (duress.length > 0 && duress === current) return 'same_as_current';
  return createBlocker(duress, confirm, strength, checkedFor) ?? (outcome ? null : 'outcome');
}

/** Why the backup cannot be written yet, or null when it can. */
export type BackupBlocker = CreateBlocker | 'folder';

export function backupBlocker(
  recovery: string,
  confirm: string,
  strength: Strength | null,
  checkedFor: string | null,
  folder: string,
): BackupBlocker | null {
  return createBlocker(recovery, confirm, strength, checkedFor) ?? (folder.trim() ? null : 'folder');
}
