// Every visible string goes through `t`. Reading `current.language` inside
// `t` makes each template expression that calls it depend on the language,
// so switching re-renders the words in place, without a reload.

import i18next from 'i18next';
import en from '../i18n/en.json';
import fr from '../i18n/fr.json';
import es from '../i18n/es.json';
import ar from '../i18n/ar.json';
import type { AppError } from './errors';

export interface Language {
  code: string;
  /** The language's name in itself (an autonym), not translated. */
  name: string;
  dir: 'ltr' | 'rtl';
}

export const LANGUAGES: readonly Language[] = [
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'fr', name: 'Français', dir: 'ltr' },
  { code: 'es', name: 'Español', dir: 'ltr' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
];

export const RESOURCES = { en, fr, es, ar } as const;

const current = $state({ language: 'en', neutral: false, desk: false });
/** The name the interface shows: the app's, or the neutral face's ("Notes"). */
let brand = 'Témoin';

function nameNow(): string {
  return i18next.t(current.neutral ? 'app.neutral_name' : 'app.name') as string;
}

i18next.init({
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: LANGUAGES.map((l) => l.code),
  resources: Object.fromEntries(
    Object.entries(RESOURCES).map(([code, strings]) => [code, { translation: strings }]),
  ),
  // Svelte escapes text when it renders it; escaping here too would show
  // "&lt;" to the reader.
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
});

export function languageOf(code: string | null | undefined): Language {
  return LANGUAGES.find((l) => l.code === code) ?? LANGUAGES[0];
}

/** The current language code, reactively. */
export function language(): string {
  return current.language;
}

export function t(key: string, options?: Record<string, unknown>): string {
  // Read for the dependency: templates calling t() re-run on a switch.
  void current.language;
  void current.neutral;
  // Strings that name the app say {{app}}, so the neutral face renames it everywhere.
  return i18next.t(key, { app: brand, ...options }) as string;
}

/** The app's name as shown: "Témoin", or the neutral name when the neutral face is on. */
export function appName(): string {
  return t(current.neutral ? 'app.neutral_name' : 'app.name');
}

/** Whether the neutral face is on, reactively. */
export function neutralFace(): boolean {
  return current.neutral;
}

/** Switches the name the interface shows, at once. */
export function applyNeutral(on: boolean): void {
  current.neutral = on;
  brand = nameNow();
}

/** Switches the words and the page direction at once. */
export function applyLanguage(code: string): Language {
  const lang = languageOf(code);
  i18next.changeLanguage(lang.code);
  current.language = lang.code;
  brand = nameNow();
  if (typeof document !== 'undefined') {
    document.documentElement.lang = lang.code;
    document.documentElement.dir = lang.dir;
  }
  return lang;
}

/** The translated label of a code from a controlled vocabulary. */
export function label(list: string, code: string | null | undefined): string {
  if (!code) return '';
  return t(`vocab.${list}.${code}`, { defaultValue: code });
}

/** The desk's words for errors that speak of "the vault" on the field side. */
export function applyDeskWords(on: boolean): void {
  current.desk = on;
}

/** What to tell a person about an error: our words for its code (the desk's, at the desk). */
export function errorText(error: AppError): string {
  const field = t(`error.${error.code}`, { defaultValue: t('error.internal') });
  return current.desk ? t(`desk.error.${error.code}`, { defaultValue: field }) : field;
}

/**
 * zxcvbn's feedback, as codes (snake_case of zxcvbn's Warning and
 * Suggestion variants; CamelCase is accepted too). Unknown codes get a
 * generic hint rather than nothing.
 */
export function feedbackCode(code: string): string {
  // As serde's rename_all = "snake_case" does it: "_" before every capital.
  return code
    .replace(/(?!^)([A-Z])/g, '_$1')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '');
}

export function feedbackText(code: string): string {
  return t(`zxcvbn.${feedbackCode(code)}`, { defaultValue: t('strength.feedback_unknown') });
}
