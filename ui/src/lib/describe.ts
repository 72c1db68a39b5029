// One line about a record, for the lists in the case editor and the desk's
// view of a received case (which names people the same way).

import { formatPartialDate } from './format';
import { label, language, t } from './i18n.svelte';
import { perpetratorName, personName } from './records';
import type { AnyRecord, CaseDetail, ItemId } from './types';

export interface Line {
  title: string;
  detail: string;
}

/** What naming a record's people needs: the case's people (a vault's case, or one the desk received). */
export type People = Pick<CaseDetail, 'people'>;

function nameOf(detail: People, id: ItemId | null): string {
  if (!id) return '';
  const p = detail.people.find((e) => e.id === id);
  return p ? personName(p.record) : t('person.unknown');
}

function range(start: string | null, end: string | null): string {
  const lang = language();
  const a = formatPartialDate(start, lang);
  const b = formatPartialDate(end, lang);
  return a && b ? t('format.range', { start: a, end: b }) : a || b;
}

function excerpt(text: string | null | undefined, length = 140): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

export function describe(rec: AnyRecord, detail: People): Line {
  switch (rec.kind) {
    case 'person':
      return { title: personName(rec.record), detail: rec.record.vulnerabilities.map((v) => label('vulnerability', v)).join(', ') };
    case 'testimony': {
      const r = rec.record;
      const who = r.witness ? nameOf(detail, r.witness) : t('testimony.no_witness');
      const when = formatPartialDate(r.interview.date, language());
      return {
        title: when ? t('testimony.line_dated', { who, when }) : t('testimony.line', { who }),
        detail: excerpt(r.narrative),
      };
    }
    case 'violation': {
      const r = rec.record;
      const victims = r.victims.map((v) => nameOf(detail, v)).join(', ');
      return {
        title: label('violation_type', r.kind),
        detail: [range(r.start, r.end), victims, excerpt(r.description, 80)].filter(Boolean).join(' · '),
      };
    }
    case 'place':
      return {
        title: rec.record.name,
        detail: [label('place_type', rec.record.kind), rec.record.locality, rec.record.country].filter(Boolean).join(' · '),
      };
    case 'perpetrator':
      return {
        title: perpetratorName(rec.record) || t('perpetrator.unnamed'),
        detail: [label('institution', rec.record.institution), label('involvement', rec.record.involvement), rec.record.rank]
          .filter(Boolean)
          .join(' · '),
      };
    case 'follow_up':
      return {
        title: label('follow_up_kind', rec.record.kind),
        detail: [
          label('follow_up_status', rec.record.status),
          rec.record.urgent ? t('cases.urgent') : '',
          formatPartialDate(rec.record.due, language()),
          excerpt(rec.record.note, 80),
        ]
          .filter(Boolean)
          .join(' · '),
      };
    case 'detention': {
      const r = rec.record;
      return {
        title: nameOf(detail, r.person),
        detail: [label('detention_status', r.status), range(r.arrested_on, r.released_on), r.authority].filter(Boolean).join(' · '),
      };
    }
    case 'proceeding': {
      const r = rec.record;
      return {
        title: label('proceeding_stage', r.stage),
        detail: [formatPartialDate(r.date, language()), r.body, label('proceeding_outcome', r.outcome)].filter(Boolean).join(' · '),
      };
    }
    case 'assistance': {
      const r = rec.record;
      return {
        title: r.needs.map((n) => label('follow_up_kind', n)).join(', '),
        detail: [
          r.beneficiary ? nameOf(detail, r.beneficiary) : '',
          r.amount && r.currency ? `${r.amount} ${r.currency}` : '',
          label('assistance_decision', r.decision),
        ]
          .filter(Boolean)
          .join(' · '),
      };
    }
    case 'consent': {
      const r = rec.record;
      return {
        title: r.given_by ? nameOf(detail, r.given_by) : (r.given_by_name ?? ''),
        detail: [formatPartialDate(r.given_on, language()), label('consent_method', r.method)].filter(Boolean).join(' · '),
      };
    }
  }
}
