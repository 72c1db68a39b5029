import { describe, expect, it } from 'vitest';
import { barsFor, countriesOf, dimensionsOf, tableOrder } from './figures';
import type { StatsCell } from './types';

const cells: StatsCell[] = [
  { country: 'TN', quarter: '2024-Q4', dimension: 'violation', value: 'torture', victims: 5 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'violation', value: 'torture', victims: 7 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'violation', value: 'arbitrary_detention', victims: null },
  { country: 'EG', quarter: '2024-Q1', dimension: 'violation', value: 'ill_treatment', victims: 9 },
  { country: 'TN', quarter: '2024-Q2', dimension: 'vulnerability', value: 'woman', victims: 6 },
];

describe('the figures', () => {
  it('draws a bar per value per quarter, nothing where a cell is under 5 or absent', () => {
    expect(barsFor(cells, 'violation', 'TN')).toEqual({
      values: ['arbitrary_detention', 'torture'],
      quarters: ['2024-Q2', '2024-Q4'],
      bars: [
        [null, 7],
        [null, 5],
      ],
    });
  });

  it('never adds cells up: every number drawn is one cell\'s own', () => {
    const own = new Set(cells.map((c) => c.victims));
    for (const country of countriesOf(cells)) {
      for (const dimension of dimensionsOf(cells)) {
        for (const n of barsFor(cells, dimension, country).bars.flat()) expect(own.has(n)).toBe(true);
      }
    }
  });

  it('offers the dimensions and countries the backend counts by, and orders the table', () => {
    expect(countriesOf(cells)).toEqual(['EG', 'TN']);
    expect(dimensionsOf([...cells, { country: 'TN', quarter: '2024-Q2', dimension: 'age', value: 'x', victims: 5 }])).toEqual([
      'violation',
      'vulnerability',
      'institution',
      'custodial_context',
      'age',
    ]);
    expect(tableOrder(cells).map((c) => `${c.country} ${c.quarter} ${c.value}`)).toEqual([
      'EG 2024-Q1 ill_treatment',
      'TN 2024-Q2 arbitrary_detention',
      'TN 2024-Q2 torture',
      'TN 2024-Q2 woman',
      'TN 2024-Q4 torture',
    ]);
  });
});
