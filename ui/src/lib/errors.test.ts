import { describe, expect, it } from 'vitest';
import { AppError, toAppError } from './errors';

describe('errors from the backend', () => {
  it('keeps the code and message the backend sent', () => {
    const e = toAppError({ code: 'wrong_passphrase', message: 'the passphrase opens no slot' });
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('wrong_passphrase');
    expect(e.message).toBe('the passphrase opens no slot');
  });

  it('calls anything else an internal fault', () => {
    expect(toAppError('command case_list not found').code).toBe('internal');
    expect(toAppError({ code: 'made_up', message: 'x' }).code).toBe('internal');
    expect(toAppError(new Error('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toAppError(undefined).code).toBe('internal');
  });

  it('passes an AppError through unchanged', () => {
    const e = new AppError('busy', 'wait');
    expect(toAppError(e)).toBe(e);
  });
});
