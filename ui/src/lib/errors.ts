import { ERROR_CODES, type ErrorCode } from './types';

/**
 * The one error every backend call throws. The interface switches on `code`
 * and shows its own translated words; `message` (English, from Rust, never
 * user content) is only a detail line.
 */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

function isCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Whatever a rejected call gave us, as an AppError. Tauri rejects with the
 * serialised error object; anything else (a missing command, a string) is
 * an internal fault of ours.
 */
export function toAppError(reason: unknown): AppError {
  if (reason instanceof AppError) return reason;
  if (reason && typeof reason === 'object') {
    const r = reason as { code?: unknown; message?: unknown };
    if (isCode(r.code)) {
      return new AppError(r.code, typeof r.message === 'string' ? r.message : '');
    }
    if (typeof r.message === 'string') return new AppError('internal', r.message);
  }
  if (typeof reason === 'string') return new AppError('internal', reason);
  return new AppError('internal', 'unexpected failure');
}
