// Tells the backend the person is active, so its idle timer does not lock
// the vault under their hands; at most once every `interval` milliseconds.

export const TOUCH_INTERVAL_MS = 20_000;

export interface ActivityThrottle {
  /** Something happened (a key, a click); sends at most once an interval. */
  notify(): void;
}

export function throttleActivity(
  send: () => unknown,
  interval = TOUCH_INTERVAL_MS,
  now: () => number = Date.now,
  /** Whether touching makes sense now (the vault is unlocked). */
  enabled: () => boolean = () => true,
): ActivityThrottle {
  let last = -Infinity;
  return {
    notify() {
      if (!enabled()) return;
      const at = now();
      if (at - last < interval) return;
      last = at;
      try {
        const result = send();
        if (result instanceof Promise) result.catch(() => {});
      } catch {
        // A failed touch only means the idle lock may come a little early.
      }
    },
  };
}

/** Listens for keys and pointers on `target`; returns the detach function. */
export function trackActivity(target: EventTarget, throttle: ActivityThrottle): () => void {
  const handler = () => throttle.notify();
  const options = { capture: true, passive: true } as const;
  target.addEventListener('keydown', handler, options);
  target.addEventListener('pointerdown', handler, options);
  return () => {
    target.removeEventListener('keydown', handler, options);
    target.removeEventListener('pointerdown', handler, options);
  };
}
