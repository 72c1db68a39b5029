// A form's call to the backend: busy while it runs (one at a time), and its
// failure kept for the form to show.

import { failure } from './app.svelte';
import type { AppError } from './errors';

export class Pending {
  busy = $state(false);
  error = $state<AppError | null>(null);

  /**
   * `toError`: `failure` by default, which also locks the interface when the
   * backend answers `locked`; `toAppError` where no vault is open yet.
   */
  constructor(private readonly toError: (e: unknown) => AppError = failure) {}

  /** Runs `call` unless a call is running; true when it succeeded. */
  async run(call: () => Promise<unknown>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      await call();
      return true;
    } catch (e) {
      this.error = this.toError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
