// What an evidence file says about itself, in words for a facts list: its
// capture metadata, and for a working copy what was done to the original.
// The field side's evidence detail and the desk's evidence list show the
// same facts. The GPS position is apart: both show it on its own line.

import { t } from './i18n.svelte';
import type { EvidenceRecord, Operation } from './types';

type Capture = NonNullable<EvidenceRecord['capture']>;

/** The capture facts that are present, as [label key, value]. */
export function captureFacts(c: Capture | null | undefined): [string, string][] {
  if (!c) return [];
  const out: [string, string][] = [];
  const add = (key: string, v: unknown) => {
    if (v !== null && v !== undefined && v !== '') out.push([key, String(v)]);
  };
  add('capture.taken_at', c.taken_at);
  add('capture.device', [c.make, c.model].filter(Boolean).join(' '));
  add('capture.software', c.software);
  if (c.width && c.height) add('capture.dimensions', `${c.width} × ${c.height}`);
  add('capture.orientation', c.orientation);
  add('capture.format', c.format);
  if (c.duration_seconds != null) add('capture.duration', t('capture.seconds', { count: Math.round(c.duration_seconds) }));
  add('capture.sample_rate', c.sample_rate ? `${c.sample_rate} Hz` : null);
  add('capture.channels', c.channels);
  add('capture.pages', c.pages);
  add('capture.author', c.author);
  add('capture.title', c.title);
  if (c.has_xmp) add('capture.xmp', t('capture.xmp_present'));
  add('capture.problem', c.problem);
  return out;
}

/** The GPS position, when the file records one. */
export function capturePosition(c: Capture | null | undefined): Capture['gps'] {
  const g = c?.gps;
  return g && (g.latitude !== null || g.longitude !== null) ? g : null;
}

/** What was done to make a working copy, in words ("metadata removed; 2 regions blacked out"). */
export function operationsText(operations: readonly Operation[]): string {
  return operations
    .map((o) =>
      o.op === 'strip_metadata'
        ? t('evidence.op.strip_metadata')
        : o.op === 'black_out' || o.op === 'blur'
          ? t(`evidence.op.${o.op}`, { count: o.regions.length })
          : '',
    )
    .filter(Boolean)
    .join('; ');
}
