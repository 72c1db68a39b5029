import { describe, expect, it } from 'vitest';
import { createBlocker, strengthLevel } from './strength';
import { feedbackCode, feedbackText } from './i18n.svelte';

const s = (score: number) => ({ score, guesses_log10: score * 3, warning: null, suggestions: [] });

describe('strength meter', () => {
  it('maps each score to a word and a bar width', () => {
    expect(strengthLevel(s(0))).toEqual({ score: 0, word: 'very_weak', percent: 20, enough: false });
    expect(strengthLevel(s(2)).word).toBe('fair');
    expect(strengthLevel(s(3))).toMatchObject({ word: 'strong', enough: true });
    expect(strengthLevel(s(4))).toMatchObject({ word: 'very_strong', percent: 100 });
  });

  it('clamps scores the backend should never send', () => {
    expect(strengthLevel(s(9)).score).toBe(4);
    expect(strengthLevel(s(-2)).score).toBe(0);
  });

  it('says why the vault cannot be created yet, in order', () => {
    expect(createBlocker('', '', null, null)).toBe('empty');
    expect(createBlocker('abc', '', null, null)).toBe('checking');
    expect(createBlocker('abcd', '', s(4), 'abc')).toBe('checking');
    expect(createBlocker('abc', 'abc', s(2), 'abc')).toBe('too_weak');
    expect(createBlocker('abc', '', s(3), 'abc')).toBe('confirm_empty');
    expect(createBlocker('abc', 'abd', s(3), 'abc')).toBe('mismatch');
    expect(createBlocker('abc', 'abc', s(3), 'abc')).toBeNull();
  });

  it('translates zxcvbn feedback codes, in either case style, and falls back', () => {
    expect(feedbackCode('ThisIsATop10Password')).toBe('this_is_a_top10_password');
    expect(feedbackCode('AddAnotherWordOrTwo')).toBe('add_another_word_or_two');
    expect(feedbackText('add_another_word_or_two')).toMatch(/another word/);
    expect(feedbackText('AddAnotherWordOrTwo')).toMatch(/another word/);
    expect(feedbackText('something_new_from_zxcvbn')).toMatch(/longer/);
  });
});
