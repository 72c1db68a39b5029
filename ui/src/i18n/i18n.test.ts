import { describe, expect, it } from 'vitest';
import { applyLanguage, label, RESOURCES, t } from '../lib/i18n.svelte';
import { SCHEMAS, LABEL_LIST, type VocabList } from '../lib/records';
import { vocabulary } from '../lib/ipc.mock';
import { DELIVERY_STATES } from '../lib/filter';
import { ERROR_CODES, type DeliveryState } from '../lib/types';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else Object.assign(out, flatten(v, key));
  }
  return out;
}

const flat = Object.fromEntries(Object.entries(RESOURCES).map(([lang, tree]) => [lang, flatten(tree as Tree)])) as Record<
  string,
  Record<string, string>
>;
const en = flat.en;
const others = Object.keys(flat).filter((l) => l !== 'en');
const vars = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
const PLURAL = /_(zero|one|two|few|many|other)$/;

describe('translations', () => {
  it.each(others)('%s has every English key', (lang) => {
    const missing = Object.keys(en).filter((k) => !(k in flat[lang]));
    expect(missing).toEqual([]);
  });

  it.each(Object.keys(flat))('%s has no empty value and no key English lacks', (lang) => {
    const empty = Object.entries(flat[lang]).filter(([, v]) => v.trim() === '');
    expect(empty).toEqual([]);
    const extra = Object.keys(flat[lang]).filter((k) => !(k in en) && !(PLURAL.test(k) && `${k.replace(PLURAL, '')}_other` in en));
    expect(extra).toEqual([]);
  });

  it.each(Object.keys(flat))('%s has every plural form its language needs (CLDR)', (lang) => {
    const bases = Object.keys(en)
      .filter((k) => k.endsWith('_other'))
      .map((k) => k.slice(0, -'_other'.length));
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const missing = bases.flatMap((b) => categories.filter((c) => !(`${b}_${c}` in flat[lang])).map((c) => `${b}_${c}`));
    expect(missing).toEqual([]);
  });

  it('gives Arabic its six plural forms', () => {
    expect(new Intl.PluralRules('ar').resolvedOptions().pluralCategories.length).toBe(6);
    applyLanguage('ar');
    const forms = [0, 1, 2, 3, 11, 100].map((count) => t('cases.count', { count }));
    expect(new Set(forms).size).toBeGreaterThanOrEqual(5);
  });

  it.each(others)('%s keeps the placeholders of the English text', (lang) => {
    const wrong = Object.keys(flat[lang]).filter((k) => {
      const source = en[k] ?? en[k.replace(PLURAL, '_other')];
      if (!source) return false;
      const theirs = vars(flat[lang][k]);
      // A plural form may spell the number out ("two cases").
      const mine = PLURAL.test(k) ? vars(source).filter((v) => v !== 'count') : vars(source);
      return !mine.every((v) => theirs.includes(v)) || theirs.some((v) => !vars(source).includes(v));
    });
    expect(wrong).toEqual([]);
  });

  it('has a label for every code of every vocabulary, in every language', async () => {
    const vocab = await vocabulary();
    const missing: string[] = [];
    for (const [list, codes] of Object.entries(vocab) as [VocabList, string[]][]) {
      for (const code of codes) {
        for (const lang of Object.keys(flat)) {
          const key = `vocab.${LABEL_LIST[list]}.${code}`;
          if (!(key in flat[lang])) missing.push(`${lang}:${key}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('has words for every error code and every form field', () => {
    const keys = [
      ...ERROR_CODES.map((c) => `error.${c}`),
      ...Object.entries(SCHEMAS).flatMap(([form, sections]) =>
        sections.flatMap((s) => [
          ...(s.title ? [s.title] : []),
          ...(s.hint ? [s.hint] : []),
          ...s.fields.map((f) => `field.${form}.${f.key}`),
        ]),
      ),
      ...['person', 'testimony', 'violation', 'place', 'perpetrator', 'follow_up', 'consent'].flatMap((k) =>
        ['heading', 'add', 'about', 'new', 'edit', 'empty'].map((w) => `record.${k}.${w}`),
      ),
      ...DELIVERY_STATES.map((d) => `delivery.${d}`),
      ...DELIVERY_STATES.map((d) => `outbox.explain.${d}`),
      ...['accepted', 'flagged', 'reasons', 'no_reasons', 'flagged_next'].map((k) => `acknowledgement.${k}`),
      ...['waiting', 'waiting_flagged'].map((k) => `forget.${k}`),
      ...['empty', 'checking', 'too_weak', 'confirm_empty', 'mismatch'].map((b) => `create.blocked.${b}`),
      ...['current_empty', 'same_as_current', 'empty', 'checking', 'too_weak', 'confirm_empty', 'mismatch', 'outcome'].map(
        (b) => `security.duress_blocked.${b}`,
      ),
      ...['empty', 'checking', 'too_weak', 'confirm_empty', 'mismatch', 'folder'].map((b) => `backup.blocked.${b}`),
      'app.neutral_name',
      ...['required', 'date', 'year', 'country', 'order'].map((p) => `problem.${p}`),
    ];
    expect(keys.filter((k) => !(k in en))).toEqual([]);
  });

  it('knows every delivery state of the backend, OMCT\'s desk\'s verdicts included', () => {
    // A Record over DeliveryState: the compiler fails here when the bindings gain a state.
    const states: Record<DeliveryState, true> = {
      none: true, queued: true, uploading: true, delivered: true, acknowledged: true, flagged: true, failed: true,
    };
    expect([...DELIVERY_STATES].sort()).toEqual(Object.keys(states).sort());
  });

  // "Received by OMCT" means OMCT's desk opened, verified and accepted the
  // bundle: a server's receipt, or a refusal, must never read that way.
  const RECEIVED_BY_OMCT: Record<string, RegExp> = {
    en: /received by OMCT/i,
    fr: /reçu par l’OMCT/i,
    es: /recibido por la OMCT/i,
    ar: /استلمته OMCT/,
  };

  it.each(Object.keys(flat))('%s says "received by OMCT" for the acknowledged state only', (lang) => {
    const phrase = RECEIVED_BY_OMCT[lang];
    expect(phrase).toBeDefined();
    for (const group of ['delivery', 'outbox.explain', 'vocab.custody_action']) {
      const saying = Object.keys(flat[lang]).filter((k) => k.startsWith(`${group}.`) && phrase.test(flat[lang][k]));
      expect(saying.filter((k) => !k.endsWith('.acknowledged'))).toEqual([]);
    }
    expect(flat[lang]['delivery.acknowledged']).toMatch(phrase);
    expect(flat[lang]['acknowledgement.accepted']).toMatch(phrase);
    for (const k of ['acknowledgement.flagged', 'acknowledgement.flagged_next', 'receipt.received_at', 'forget.waiting', 'forget.waiting_flagged']) {
      expect(flat[lang][k]).not.toMatch(phrase);
    }
  });

  it.each(Object.keys(flat))('%s names every custody action the backend writes', (lang) => {
    // model/src/custody.rs, Action::code.
    const actions = [
      'vault_created', 'create', 'edit', 'delete', 'view_original', 'export_original', 'export_payload_key',
      'passphrase_changed', 'export_bundle', 'delivered', 'acknowledged', 'flagged',
    ];
    applyLanguage(lang);
    const missing = actions.filter((a) => !(`vocab.custody_action.${a}` in flat[lang]) || label('custody_action', a) === a);
    expect(missing).toEqual([]);
    // Received by the desk, refused by it, and only on the server: three different things.
    const said = ['delivered', 'acknowledged', 'flagged'].map((a) => label('custody_action', a));
    expect(new Set(said).size).toBe(3);
    applyLanguage('en');
  });

  it('names OMCT\'s desk\'s verdicts in the custody log in plain English', () => {
    applyLanguage('en');
    expect(label('custody_action', 'acknowledged')).toBe('Received and verified by OMCT’s desk');
    expect(label('custody_action', 'flagged')).toBe('Refused by OMCT’s desk');
    expect(label('custody_action', 'delivered')).toBe('Delivered to OMCT’s server');
    expect(t('delivery.delivered')).toBe('On OMCT’s server');
    expect(t('delivery.acknowledged')).toBe('Received by OMCT');
    expect(t('delivery.flagged')).toBe('Refused by OMCT’s desk');
    expect(t('outbox.explain.delivered')).toMatch(/^Delivered to OMCT’s server — waiting for OMCT to confirm/);
  });

  it.each(Object.keys(flat))('%s names the app only through {{app}}, so the neutral face renames it', (lang) => {
    // French "témoin" is also the word for a witness.
    const named = Object.entries(flat[lang]).filter(
      ([k, v]) => /Témoin/.test(v) && k !== 'app.name' && k !== 'vocab.role.witness',
    );
    expect(named).toEqual([]);
  });

  it('has every key the code asks for by name', () => {
    const sources = import.meta.glob(['/src/**/*.svelte', '/src/**/*.ts', '!/src/**/*.test.ts'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    const used = new Set<string>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/\bt\(\s*'([a-z_]+(?:\.[a-z0-9_]+)+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/'((?:capture|nav|hint)\.[a-z0-9_]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !(k in en) && !(`${k}_other` in en));
    expect(missing).toEqual([]);
  });
});

describe('switching language', () => {
  it('changes the words and the page direction at once, without reload', () => {
    applyLanguage('ar');
    expect(document.documentElement.lang).toBe('ar');
    expect(document.documentElement.dir).toBe('rtl');
    expect(t('nav.lock')).toBe(flat.ar['nav.lock']);
    applyLanguage('fr');
    expect(document.documentElement.dir).toBe('ltr');
    expect(t('nav.lock')).toBe('Verrouiller');
    expect(label('role', 'victim')).toBe('Victime');
  });

  it('falls back to English for an unknown language and to the code for an unknown label', () => {
    applyLanguage('xx');
    expect(document.documentElement.lang).toBe('en');
    expect(label('method', 'a_new_method')).toBe('a_new_method');
  });
});
