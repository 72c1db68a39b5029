// The triage order of a received case, as the desk enforces it
// (model/src/desk.rs, TriageState::may_become): the form offers only the
// moves the backend accepts, so an officer never meets a refusal for a
// choice the screen itself made.

export const TRIAGE_STATES = ['new', 'in_review', 'accepted', 'declined', 'needs_information', 'closed'] as const;
export type TriageState = (typeof TRIAGE_STATES)[number];

const NEXT: Record<TriageState, readonly TriageState[]> = {
  new: ['in_review'],
  in_review: ['accepted', 'declined', 'needs_information'],
  needs_information: ['in_review', 'accepted', 'declined', 'closed'],
  accepted: ['closed', 'in_review'],
  declined: ['closed', 'in_review'],
  closed: ['in_review'],
};

/** The states a case in `state` may move to; none for a state this interface does not know. */
export function nextStates(state: string): readonly TriageState[] {
  return (TRIAGE_STATES as readonly string[]).includes(state) ? NEXT[state as TriageState] : [];
}
