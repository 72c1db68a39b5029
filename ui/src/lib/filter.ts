// The case list's filter form and the command argument it becomes.

import type { CaseFilter, DeliveryState } from './types';

export interface FilterForm {
  query: string;
  status: string;
  violation: string;
  vulnerability: string;
  delivery: string;
}

export function emptyFilter(): FilterForm {
  return { query: '', status: '', violation: '', vulnerability: '', delivery: '' };
}

/** Every state a case's latest submission can be in, in the order it goes through them. */
const DELIVERY: readonly DeliveryState[] = ['none', 'queued', 'uploading', 'delivered', 'acknowledged', 'flagged', 'failed'];
export const DELIVERY_STATES = DELIVERY;

/** Empty choices mean "any": they become null, never "". */
export function toCaseFilter(form: FilterForm): CaseFilter {
  const pick = (v: string) => (v.trim() === '' ? null : v.trim());
  const delivery = pick(form.delivery);
  return {
    query: pick(form.query),
    status: pick(form.status),
    violation: pick(form.violation),
    vulnerability: pick(form.vulnerability),
    delivery: delivery && (DELIVERY as readonly string[]).includes(delivery) ? (delivery as DeliveryState) : null,
  };
}

export function isFiltered(form: FilterForm): boolean {
  return Object.values(toCaseFilter(form)).some((v) => v !== null);
}
