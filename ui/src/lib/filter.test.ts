import { describe, expect, it } from 'vitest';
import { emptyFilter, isFiltered, toCaseFilter } from './filter';

describe('case filter', () => {
  it('sends null for every empty choice', () => {
    expect(toCaseFilter(emptyFilter())).toEqual({
      query: null,
      status: null,
      violation: null,
      vulnerability: null,
      delivery: null,
    });
    expect(isFiltered(emptyFilter())).toBe(false);
  });

  it('trims the search text and keeps chosen codes', () => {
    const f = { query: '  falanga ', status: 'open', violation: 'torture', vulnerability: 'child', delivery: 'failed' };
    expect(toCaseFilter(f)).toEqual({
      query: 'falanga',
      status: 'open',
      violation: 'torture',
      vulnerability: 'child',
      delivery: 'failed',
    });
    expect(isFiltered(f)).toBe(true);
  });

  it('keeps OMCT\'s desk\'s verdicts apart from the server\'s receipt', () => {
    for (const delivery of ['delivered', 'acknowledged', 'flagged']) {
      expect(toCaseFilter({ ...emptyFilter(), delivery }).delivery).toBe(delivery);
    }
  });

  it('treats blank search as no search and drops unknown delivery states', () => {
    const f = { ...emptyFilter(), query: '   ', delivery: 'lost' };
    expect(toCaseFilter(f).query).toBeNull();
    expect(toCaseFilter(f).delivery).toBeNull();
  });
});
