import { describe, expect, it } from 'vitest';
import { blankCase, blankRecord, checkDraft, fromDraft, scopesInForce, toDraft, today } from './records';
import type { Assistance, Case, Consent, Detention, Person, Testimony } from './types';

describe('record forms', () => {
  it('round-trips a case through its form unchanged', () => {
    const c: Case = {
      ...blankCase(null),
      title: 'Arrest',
      summary: 'Line one\n  line two ',
      country: 'TN',
      incident_start: '2024-05',
      tags: ['students', 'campus'],
      participants: [{ person: 'p1', role: 'victim', note: null }],
    };
    expect(fromDraft('case', toDraft('case', c), c)).toEqual(c);
  });

  it('drops the reason for urgency of a case no longer urgent', () => {
    const c: Case = { ...blankCase(null), title: 'Held', urgent: true, urgent_reason: 'health_emergency', urgent_note: 'Needs insulin.' };
    const draft = { ...toDraft('case', c), urgent: false };
    expect(fromDraft<Case>('case', draft, c)).toMatchObject({ urgent: false, urgent_reason: null, urgent_note: null });
    expect(fromDraft<Case>('case', toDraft('case', c), c)).toMatchObject({ urgent: true, urgent_reason: 'health_emergency' });
  });

  it('turns empty strings into null, lines into lists, years into numbers', () => {
    const base: Person = { name: '', other_names: [], pseudonym: null, gender: null, birth_year: null, age_at_events: null, nationality: null, occupation: null, vulnerabilities: [], contact: null };
    const draft = { ...toDraft('person', base), name: '  Amal  ', pseudonym: '   ', other_names: 'A. B.\n\n Amel \n', birth_year: '1994', nationality: 'tn', vulnerabilities: ['woman', 'woman', 'child'] };
    const p = fromDraft<Person>('person', draft, base);
    expect(p).toMatchObject({ name: 'Amal', pseudonym: null, other_names: ['A. B.', 'Amel'], birth_year: 1994, nationality: 'TN', vulnerabilities: ['woman', 'child'] });
  });

  it('fills nested Istanbul Protocol sections and keeps the narrative as typed', () => {
    const base = blankRecord('testimony', 'c1', null, '2024-06-01').record as Testimony;
    const draft = { ...toDraft('testimony', base), 'interview.date': '2024-06', 'account.methods': ['beating'], narrative: '  They came at night.\n' };
    const t = fromDraft<Testimony>('testimony', draft, base);
    expect(t.case_id).toBe('c1');
    expect(t.interview.date).toBe('2024-06');
    expect(t.interview.place).toBeNull();
    expect(t.account.methods).toEqual(['beating']);
    expect(t.narrative).toBe('  They came at night.\n');
    expect(fromDraft<Testimony>('testimony', toDraft('testimony', base), base).narrative).toBe('');
  });

  it('finds what the backend would refuse, before asking it', () => {
    const base = blankRecord('consent', 'c1', null, '2024-06-01').record as Consent;
    const problems = checkDraft('consent', { ...toDraft('consent', base), given_on: '2024-13' });
    expect(problems).toMatchObject({ given_on: 'date', scopes: 'required', given_by_name: 'required' });
    const ok = checkDraft('consent', { ...toDraft('consent', base), given_by_name: 'Amal', scopes: ['litigation'] });
    expect(ok).toEqual({});
    expect(checkDraft('case', { ...toDraft('case', blankCase(null)), title: 'x', incident_start: '2024-05', incident_end: '2023' })).toEqual({ incident_end: 'order' });
    expect(checkDraft('case', { ...toDraft('case', blankCase(null)), title: 'x', incident_start: '2024-05', incident_end: '2024' })).toEqual({});
    expect(checkDraft('person', { ...toDraft('person', {} as Person), name: 'x', birth_year: '94', nationality: 'TUN' })).toEqual({ birth_year: 'year', nationality: 'country' });
    expect(checkDraft('perpetrator', toDraft('perpetrator', blankRecord('perpetrator', 'c', null, '').record))).toEqual({ name: 'required' });
  });

  it('tells which consent scopes are still in force', () => {
    const c = blankRecord('consent', 'c1', null, '2024').record as Consent;
    const given = { ...c, scopes: ['share_with_omct', 'publication'] };
    expect(scopesInForce(given)).toEqual(['share_with_omct', 'publication']);
    expect(scopesInForce({ ...given, withdrawal: { on: '2025', scopes: ['publication'], note: null } })).toEqual(['share_with_omct']);
    expect(scopesInForce({ ...given, withdrawal: { on: '2025', scopes: [], note: null } })).toEqual([]);
  });

  it('dates a new consent today, in local time', () => {
    expect(today(new Date(2024, 0, 5, 23, 59))).toBe('2024-01-05');
  });

  it('round-trips a detention and an assistance request, payments as lines', () => {
    const d: Detention = {
      ...(blankRecord('detention', 'c1', null, '2026-12-01').record as Detention),
      person: 'p1', arrested_on: '2026-11-23', authority: 'State Security', charges: ['spreading false news'],
      provisions: ['Penal Code, art. 128'], lawyer: 'denied', health: 'Diabetic.\nNo insulin.',
    };
    expect(fromDraft('detention', toDraft('detention', d), d)).toEqual(d);
    const a: Assistance = {
      ...(blankRecord('assistance', 'c1', null, '2026-12-01').record as Assistance),
      needs: ['medical'], amount: '1250.50', currency: 'EUR', supporting: ['e1'],
      payments: [{ on: '2026-12-03', amount: '800', note: 'surgery deposit' }, { on: '2026-12', amount: '450.5', note: null }],
    };
    const draft = toDraft('assistance', a);
    expect(draft.payments).toBe('2026-12-03 800 surgery deposit\n2026-12 450.5');
    expect(fromDraft('assistance', draft, a)).toEqual(a);
  });

  it('checks amounts, currencies, ages and payment lines before saving', () => {
    const a = toDraft('assistance', blankRecord('assistance', 'c1', null, '2026-12-01').record);
    expect(checkDraft('assistance', { ...a, needs: ['medical'], amount: '12,50' })).toEqual({ amount: 'amount', currency: 'required' });
    expect(checkDraft('assistance', { ...a, needs: ['medical'], amount: '12.50', currency: 'euro' })).toEqual({ currency: 'currency' });
    expect(checkDraft('assistance', { ...a, needs: ['medical'], currency: 'EUR', payments: '2026-12-03 800\nyesterday 5' })).toEqual({ payments: 'payments' });
    expect(checkDraft('assistance', { ...a, needs: [] })).toEqual({ needs: 'required' });
    expect(checkDraft('person', { ...toDraft('person', {} as Person), name: 'x', age_at_events: '131' })).toEqual({ age_at_events: 'age' });
    const d = toDraft('detention', blankRecord('detention', 'c1', null, '').record);
    expect(checkDraft('detention', { ...d, arrested_on: '2026-11', released_on: '2026-10-02' })).toEqual({ person: 'required', released_on: 'order' });
  });

  it('records a child\'s assent only when given', () => {
    const c = blankRecord('consent', 'c1', null, '2024').record as Consent;
    const draft = { ...toDraft('consent', c), guardian: 'her mother', child_assent: false };
    expect(fromDraft<Consent>('consent', draft, c)).toMatchObject({ guardian: 'her mother', child_assent: null });
    expect(fromDraft<Consent>('consent', { ...draft, child_assent: true }, c)).toMatchObject({ child_assent: true });
  });
});
