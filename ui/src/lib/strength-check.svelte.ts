// Asks the backend how guessable a passphrase is, once typing pauses. Call
// during a component's set-up; the answer is for the value it was asked
// about (`checkedFor`), so a stale answer never unblocks a form.

import { api } from './backend';
import { toAppError, type AppError } from './errors';
import type { Strength } from './types';

export interface StrengthCheck {
  strength: Strength | null;
  checkedFor: string | null;
  error: AppError | null;
}

export function strengthCheck(passphrase: () => string, delay = 250): StrengthCheck {
  const check = $state<StrengthCheck>({ strength: null, checkedFor: null, error: null });
  $effect(() => {
    const value = passphrase();
    if (value === '') {
      check.strength = null;
      check.checkedFor = null;
      return;
    }
    const timer = setTimeout(async () => {
      try {
        const result = await api().passphraseStrength(value);
        if (value === passphrase()) {
          check.strength = result;
          check.checkedFor = value;
          check.error = null;
        }
      } catch (e) {
        check.error = toAppError(e);
      }
    }, delay);
    return () => clearTimeout(timer);
  });
  return check;
}
