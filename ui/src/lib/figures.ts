// The desk's figures as the screen shows them. A cell under 5 carries no
// number (`victims` null): it is left out of the chart and written "<5" in
// the table. Nothing here adds cells up: a victim can stand in several
// values of one dimension, so a sum means nothing, and a total beside
// shown cells would let a reader subtract their way to a hidden one.

import type { StatsCell } from './types';

/** The dimensions the backend counts by, and the vocabulary of each one's values. */
export const DIMENSIONS = ['violation', 'vulnerability', 'institution', 'custodial_context'] as const;
const VALUE_LIST: Record<string, string> = {
  violation: 'violation_type',
  vulnerability: 'vulnerability',
  institution: 'institution',
  custodial_context: 'custodial_context',
};

/** The i18n vocabulary (for `label`) that names a dimension's values. */
export function valueList(dimension: string): string {
  return VALUE_LIST[dimension] ?? dimension;
}

/** Every country the figures name, in code order. */
export function countriesOf(cells: readonly StatsCell[]): string[] {
  return [...new Set(cells.map((c) => c.country))].sort();
}

/** The dimensions to offer: the known ones, then any other the figures hold. */
export function dimensionsOf(cells: readonly StatsCell[]): string[] {
  const known: string[] = [...DIMENSIONS];
  return [...known, ...[...new Set(cells.map((c) => c.dimension))].filter((d) => !known.includes(d)).sort()];
}

/** The cells in the table's order: country, quarter, dimension, value. */
export function tableOrder(cells: readonly StatsCell[]): StatsCell[] {
  const key = (c: StatsCell) => [c.country, c.quarter, c.dimension, c.value];
  return [...cells].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}

/**
 * What the chart draws for one dimension and country: one group of bars
 * per value, one bar per quarter. `bars[q][v]` is the count of quarter
 * `quarters[q]` and value `values[v]`, or null where the cell is under 5
 * or absent: nothing is drawn there.
 */
export interface Bars {
  values: string[];
  quarters: string[];
  bars: (number | null)[][];
}

export function barsFor(cells: readonly StatsCell[], dimension: string, country: string): Bars {
  const mine = cells.filter((c) => c.dimension === dimension && c.country === country);
  const values = [...new Set(mine.map((c) => c.value))].sort();
  const quarters = [...new Set(mine.map((c) => c.quarter))].sort();
  const bars = quarters.map((q) =>
    values.map((v) => mine.find((c) => c.quarter === q && c.value === v)?.victims ?? null),
  );
  return { values, quarters, bars };
}
