// A stored record's fields as text, for a view that only reads: OMCT's
// desk showing what a defender recorded. The fields, their order, their
// Istanbul Protocol sections and their labels are the field side's forms
// (records.ts), so both sides name every field the same way.

import { countryName, formatPartialDate } from './format';
import { label, language, t } from './i18n.svelte';
import { detentionName, LABEL_LIST, paymentLines, perpetratorName, personName, SCHEMAS, type Field, type FormKind } from './records';
import type { Detention, Entry, Perpetrator, Person, Place } from './types';

/** The records other records point at, by id. */
export interface Linked {
  people: Entry<Person>[];
  perpetrators: Entry<Perpetrator>[];
  places: Entry<Place>[];
  /** Evidence items, by id, with how to name them. */
  evidence?: { id: string; name: string }[];
  detentions?: Entry<Detention>[];
}

export interface FieldText {
  key: string;
  /** The field side's label for it. */
  label: string;
  text: string;
  /** Long text, shown with its line breaks. */
  long: boolean;
}

export interface SectionText {
  /** The Istanbul Protocol heading, when the form has one. */
  title: string | null;
  fields: FieldText[];
}

function valueAt(record: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), record);
}

function named<T>(entries: Entry<T>[], id: unknown, name: (r: T) => string, unknown: string): string {
  const found = entries.find((e) => e.id === id);
  return found ? name(found.record) || unknown : unknown;
}

/** One field's value in words, or "" when nothing was recorded. */
export function fieldText(field: Field, value: unknown, linked: Linked): string {
  const lang = language();
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const person = (id: unknown) => named(linked.people, id, personName, t('person.unknown'));
  switch (field.kind) {
    case 'bool':
      return value === true ? t('desk.record.yes') : '';
    case 'date':
      return typeof value === 'string' ? formatPartialDate(value, lang) : '';
    case 'country':
      return typeof value === 'string' ? countryName(value, lang) : '';
    case 'select':
      return typeof value === 'string' && field.list ? label(LABEL_LIST[field.list], value) : '';
    case 'multi':
      return field.list ? list(value).map((c) => label(LABEL_LIST[field.list!], String(c))).join(', ') : '';
    case 'lines':
      return list(value).map(String).join(', ');
    case 'person':
      return value ? person(value) : '';
    case 'people':
      return list(value).map(person).join(', ');
    case 'perpetrators':
      return list(value)
        .map((id) => named(linked.perpetrators, id, perpetratorName, t('perpetrator.unnamed')))
        .join(', ');
    case 'place':
      return value ? named(linked.places, value, (p) => p.name, t('desk.record.unknown_place')) : '';
    case 'evidence':
      return list(value)
        .map((id) => linked.evidence?.find((e) => e.id === id)?.name ?? String(id).slice(0, 8))
        .join(', ');
    case 'detention':
      return value ? named(linked.detentions ?? [], value, (d) => detentionName(d, linked.people), '?') : '';
    case 'payments':
      return paymentLines(value).split('\n').join('; ');
    default:
      return value === null || value === undefined ? '' : String(value);
  }
}

/** The fields a record holds, section by section, leaving out what is empty. */
export function recordText(form: FormKind, record: unknown, linked: Linked): SectionText[] {
  return SCHEMAS[form]
    .map((section) => ({
      title: section.title,
      fields: section.fields.flatMap((f) => {
        const text = fieldText(f, valueAt(record, f.key), linked);
        return text.trim() ? [{ key: f.key, label: t(`field.${form}.${f.key}`), text, long: f.kind === 'long' }] : [];
      }),
    }))
    .filter((s) => s.fields.length > 0);
}
