import { describe, expect, it, vi } from 'vitest';
import { throttleActivity, trackActivity, TOUCH_INTERVAL_MS } from './activity';

describe('activity throttle', () => {
  it('touches at once, then at most every twenty seconds', () => {
    let now = 1_000_000;
    const send = vi.fn();
    const t = throttleActivity(send, TOUCH_INTERVAL_MS, () => now);
    t.notify();
    t.notify();
    expect(send).toHaveBeenCalledTimes(1);
    now += 19_999;
    t.notify();
    expect(send).toHaveBeenCalledTimes(1);
    now += 1;
    t.notify();
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('does not count activity while the vault is locked', () => {
    let unlocked = false;
    const send = vi.fn();
    const t = throttleActivity(send, 20_000, () => 5, () => unlocked);
    t.notify();
    expect(send).not.toHaveBeenCalled();
    unlocked = true;
    t.notify();
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('ignores a failed touch', async () => {
    const t = throttleActivity(() => Promise.reject(new Error('locked')), 10, () => 0);
    expect(() => t.notify()).not.toThrow();
    const u = throttleActivity(() => {
      throw new Error('boom');
    });
    expect(() => u.notify()).not.toThrow();
  });

  it('listens to keys and pointers until detached', () => {
    let now = 0;
    const send = vi.fn();
    const target = new EventTarget();
    const detach = trackActivity(target, throttleActivity(send, 10, () => now));
    target.dispatchEvent(new Event('keydown'));
    now = 20;
    target.dispatchEvent(new Event('pointerdown'));
    expect(send).toHaveBeenCalledTimes(2);
    detach();
    now = 40;
    target.dispatchEvent(new Event('keydown'));
    expect(send).toHaveBeenCalledTimes(2);
  });
});
