// Redaction rectangles, as fractions (0..1) of the upright preview image.
// The backend maps them to pixels; here they are drawn, moved and resized,
// always kept inside the image.

import type { Region } from './types';

export interface Point {
  x: number;
  y: number;
}

/** Smallest side a region may have: about a finger's width on a preview. */
export const MIN_SIDE = 0.02;

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** A pointer position as a fraction of the image's box, clamped to it. */
export function toFraction(clientX: number, clientY: number, box: { left: number; top: number; width: number; height: number }): Point {
  if (box.width <= 0 || box.height <= 0) return { x: 0, y: 0 };
  return { x: clamp01((clientX - box.left) / box.width), y: clamp01((clientY - box.top) / box.height) };
}

/** The rectangle between two corners, whichever way the pointer went. */
export function fromCorners(a: Point, b: Point): Region {
  const x1 = clamp01(Math.min(a.x, b.x));
  const y1 = clamp01(Math.min(a.y, b.y));
  const x2 = clamp01(Math.max(a.x, b.x));
  const y2 = clamp01(Math.max(a.y, b.y));
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** Too small to be meant (a click rather than a drag). */
export function isUsable(r: Region): boolean {
  return r.w >= MIN_SIDE && r.h >= MIN_SIDE;
}

/** Any rectangle brought inside the image, keeping its size where it can. */
export function clampRegion(r: Region): Region {
  const w = Math.min(1, Math.max(MIN_SIDE, Number.isFinite(r.w) ? r.w : MIN_SIDE));
  const h = Math.min(1, Math.max(MIN_SIDE, Number.isFinite(r.h) ? r.h : MIN_SIDE));
  const x = Math.min(1 - w, clamp01(r.x));
  const y = Math.min(1 - h, clamp01(r.y));
  return { x, y, w, h };
}

/** A new region in the middle of the image, `side` of its width and height. */
export function centredRegion(side = 0.3): Region {
  const s = Math.min(1, Math.max(MIN_SIDE, side));
  return { x: (1 - s) / 2, y: (1 - s) / 2, w: s, h: s };
}

/** Moves without leaving the image: a region at the edge stops there. */
export function moveRegion(r: Region, dx: number, dy: number): Region {
  return clampRegion({ ...r, x: r.x + dx, y: r.y + dy });
}

/** Grows or shrinks from the top-left corner, within the image. */
export function resizeRegion(r: Region, dw: number, dh: number): Region {
  const w = Math.min(1 - r.x, Math.max(MIN_SIDE, r.w + dw));
  const h = Math.min(1 - r.y, Math.max(MIN_SIDE, r.h + dh));
  return clampRegion({ ...r, w, h });
}

/**
 * Arrow keys on a selected region: move by `step`; with Shift, resize.
 * In a right-to-left page the left and right arrows keep their on-screen
 * meaning (the image is not mirrored). Returns null for other keys.
 */
export function regionForKey(r: Region, key: string, shift: boolean, step = 0.02): Region | null {
  const delta: Record<string, [number, number]> = {
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
    ArrowUp: [0, -step],
    ArrowDown: [0, step],
  };
  const d = delta[key];
  if (!d) return null;
  return shift ? resizeRegion(r, d[0], d[1]) : moveRegion(r, d[0], d[1]);
}

/** Rounded for the wire, and strictly inside 0..1. */
export function forBackend(regions: Region[]): Region[] {
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return regions.filter(isUsable).map((r) => {
    const c = clampRegion(r);
    const x = round(c.x);
    const y = round(c.y);
    return { x, y, w: Math.min(round(c.w), 1 - x), h: Math.min(round(c.h), 1 - y) };
  });
}
