import { describe, expect, it } from 'vitest';
import {
  centredRegion,
  clampRegion,
  forBackend,
  fromCorners,
  isUsable,
  MIN_SIDE,
  moveRegion,
  regionForKey,
  resizeRegion,
  toFraction,
} from './region';

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 9);

describe('drawing a region', () => {
  const box = { left: 100, top: 50, width: 400, height: 200 };

  it('maps pointer positions to fractions of the image', () => {
    expect(toFraction(300, 150, box)).toEqual({ x: 0.5, y: 0.5 });
    expect(toFraction(100, 50, box)).toEqual({ x: 0, y: 0 });
  });

  it('clamps positions outside the image to its edges', () => {
    expect(toFraction(0, 0, box)).toEqual({ x: 0, y: 0 });
    expect(toFraction(10_000, 10_000, box)).toEqual({ x: 1, y: 1 });
    expect(toFraction(50, 400, box)).toEqual({ x: 0, y: 1 });
  });

  it('survives an image with no size yet', () => {
    expect(toFraction(10, 10, { left: 0, top: 0, width: 0, height: 0 })).toEqual({ x: 0, y: 0 });
  });

  it('gives the same rectangle whichever way the pointer is dragged', () => {
    const a = { x: 0.2, y: 0.3 };
    const b = { x: 0.6, y: 0.7 };
    const expected = fromCorners(a, b);
    close(expected.x, 0.2);
    close(expected.y, 0.3);
    close(expected.w, 0.4);
    close(expected.h, 0.4);
    // down-left, up-right, up-left
    for (const [p, q] of [
      [{ x: 0.6, y: 0.3 }, { x: 0.2, y: 0.7 }],
      [{ x: 0.2, y: 0.7 }, { x: 0.6, y: 0.3 }],
      [b, a],
    ]) {
      const r = fromCorners(p, q);
      close(r.x, expected.x);
      close(r.y, expected.y);
      close(r.w, expected.w);
      close(r.h, expected.h);
    }
  });

  it('clamps corners outside the image', () => {
    expect(fromCorners({ x: -0.5, y: 0.5 }, { x: 1.5, y: 2 })).toEqual({ x: 0, y: 0.5, w: 1, h: 0.5 });
  });

  it('treats a click as no region', () => {
    expect(isUsable(fromCorners({ x: 0.5, y: 0.5 }, { x: 0.501, y: 0.6 }))).toBe(false);
    expect(isUsable({ x: 0, y: 0, w: MIN_SIDE, h: MIN_SIDE })).toBe(true);
  });
});

describe('moving and resizing', () => {
  it('adds a centred region', () => {
    const r = centredRegion(0.3);
    close(r.x, 0.35);
    close(r.y, 0.35);
    expect(r.w).toBe(0.3);
  });

  it('stops a moved region at the edges, keeping its size', () => {
    const r = { x: 0.7, y: 0.1, w: 0.2, h: 0.2 };
    const right = moveRegion(r, 0.5, 0);
    close(right.x, 0.8);
    close(right.w, 0.2);
    const up = moveRegion(r, 0, -1);
    expect(up.y).toBe(0);
    close(up.h, 0.2);
  });

  it('does not grow a region past the image, nor shrink it to nothing', () => {
    const r = { x: 0.5, y: 0.5, w: 0.2, h: 0.2 };
    const big = resizeRegion(r, 1, 1);
    close(big.x + big.w, 1);
    close(big.y + big.h, 1);
    const small = resizeRegion(r, -1, -1);
    expect(small.w).toBe(MIN_SIDE);
    expect(small.h).toBe(MIN_SIDE);
  });

  it('brings any rectangle inside the image', () => {
    const r = clampRegion({ x: 0.9, y: -1, w: 0.5, h: 3 });
    expect(r.x + r.w).toBeLessThanOrEqual(1);
    expect(r.y).toBe(0);
    expect(r.h).toBe(1);
    const nan = clampRegion({ x: NaN, y: NaN, w: NaN, h: NaN });
    expect(nan).toEqual({ x: 0, y: 0, w: MIN_SIDE, h: MIN_SIDE });
  });

  it('moves with arrows and resizes with shift and arrows', () => {
    const r = { x: 0.4, y: 0.4, w: 0.2, h: 0.2 };
    close(regionForKey(r, 'ArrowRight', false, 0.1)!.x, 0.5);
    close(regionForKey(r, 'ArrowUp', false, 0.1)!.y, 0.3);
    close(regionForKey(r, 'ArrowRight', true, 0.1)!.w, 0.3);
    close(regionForKey(r, 'ArrowUp', true, 0.1)!.h, 0.1);
    expect(regionForKey(r, 'a', false)).toBeNull();
  });

  it('sends only usable regions, inside 0..1, rounded', () => {
    const out = forBackend([
      { x: 0.1234567891, y: 0.2, w: 0.3, h: 0.4 },
      { x: 0.5, y: 0.5, w: 0.001, h: 0.3 },
      { x: 0.8, y: 0.8, w: 0.2000004, h: 0.2 },
    ]);
    expect(out).toHaveLength(2);
    expect(out[0].x).toBe(0.123457);
    for (const r of out) {
      expect(r.x + r.w).toBeLessThanOrEqual(1);
      expect(r.y + r.h).toBeLessThanOrEqual(1);
    }
  });
});
