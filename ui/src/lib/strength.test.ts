import { describe, expect, it } from 'vitest';
import { backupBlocker, createBlocker, duressBlocker, strengthLevel } from './strength';
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

describe('duress and backup forms', () => {
  const ok = s(4);
  it('says why the duress passphrase cannot be set yet, in order', () => {
    expect(duressBlocker('', 'spare words here now', '', null, null, null)).toBe('current_empty');
    expect(duressBlocker('mine', 'mine', 'mine', ok, 'mine', 'decoy')).toBe('same_as_current');
    expect(duressBlocker('mine', '', '', null, null, null)).toBe('empty');
    expect(duressBlocker('mine', 'weak', '', s(1), 'weak', null)).toBe('too_weak');
    expect(duressBlocker('mine', 'spare words', 'spare word', ok, 'spare words', 'decoy')).toBe('mismatch');
    expect(duressBlocker('mine', 'spare words', 'spare words', ok, 'spare words', null)).toBe('outcome');
    expect(duressBlocker('mine', 'spare words', 'spare words', ok, 'spare words', 'shred')).toBeNull();
  });

  it('asks for a folder after a strong, confirmed recovery passphrase', () => {
    expect(backupBlocker('r', 'r', s(1), 'r', '/media')).toBe('too_weak');
    expect(backupBlocker('rec', 'rec', ok, 'rec', '  ')).toBe('folder');
    expect(backupBlocker('rec', 'rec', ok, 'rec', '/media')).toBeNull();
  });
});
