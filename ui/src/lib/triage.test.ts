import { describe, expect, it } from 'vitest';
import { nextStates, TRIAGE_STATES } from './triage';

describe('the triage order', () => {
  it('matches the desk\'s rule (model/src/desk.rs, may_become), move by move', () => {
    const allowed = TRIAGE_STATES.flatMap((from) => nextStates(from).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'new→in_review',
        'in_review→accepted',
        'in_review→declined',
        'in_review→needs_information',
        'needs_information→in_review',
        'needs_information→accepted',
        'needs_information→declined',
        'needs_information→closed',
        'accepted→closed',
        'declined→closed',
        'accepted→in_review',
        'declined→in_review',
        'closed→in_review',
      ].sort(),
    );
  });

  it('offers nothing from a state it does not know', () => {
    expect(nextStates('archived')).toEqual([]);
  });
});
