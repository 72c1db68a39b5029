// The people of a case are its participants: a change to them saves the case.

import { api } from './backend';
import { session } from './session.svelte';
import type { CaseDetail, Participant } from './types';

export async function setParticipants(detail: CaseDetail, participants: Participant[]): Promise<void> {
  const current = session.current?.case ?? detail.case;
  await api().caseSave(detail.id, { ...current, participants });
}
