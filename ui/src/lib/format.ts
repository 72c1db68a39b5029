// Formatting of sizes, dates and coordinates for people to read. Hashes,
// ids and coordinates keep Latin digits in every language: they are copied
// into filings and compared character by character.

const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** True for "YYYY", "YYYY-MM" or "YYYY-MM-DD" naming a real day. */
export function isPartialDate(value: string): boolean {
  const m = PARTIAL_DATE.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  if (year < 1900 || year > 2100) return false;
  if (m[2] === undefined) return true;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return false;
  if (m[3] === undefined) return true;
  const day = Number(m[3]);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= days;
}

/** A partial date as precise as it is, in the reader's language. */
export function formatPartialDate(value: string | null | undefined, locale: string): string {
  if (!value) return '';
  const m = PARTIAL_DATE.exec(value);
  if (!m || !isPartialDate(value)) return value;
  const [year, month, day] = [Number(m[1]), m[2] ? Number(m[2]) : null, m[3] ? Number(m[3]) : null];
  if (month === null) return String(year);
  const date = new Date(Date.UTC(year, month - 1, day ?? 1));
  const options: Intl.DateTimeFormatOptions =
    day === null
      ? { year: 'numeric', month: 'long', timeZone: 'UTC' }
      : { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/** An ISO 8601 timestamp, shown in local time; unparseable text as given. */
export function formatTimestamp(iso: string | null | undefined, locale: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Seconds since 1970 (the outbox's next attempt). */
export function formatUnix(seconds: number, locale: string): string {
  if (!seconds) return '';
  return formatTimestamp(new Date(seconds * 1000).toISOString(), locale);
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

export function formatBytes(bytes: number, locale: string): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** Degrees with six decimals (about 10 cm), Latin digits, "lat, long"; "?" where unreadable. */
export function formatCoordinates(latitude: number | null, longitude: number | null): string {
  const degrees = (v: number | null) => (v !== null && Number.isFinite(v) ? v.toFixed(6) : '?');
  return `${degrees(latitude)}, ${degrees(longitude)}`;
}

export function formatPercent(percent: number, locale: string): string {
  const clamped = Math.max(0, Math.min(100, Math.round(percent)));
  return new Intl.NumberFormat(locale, { style: 'percent' }).format(clamped / 100);
}

/** The first characters of an id or hash, for tables. */
export function shortId(id: string | null | undefined, length = 8): string {
  return id ? id.slice(0, length) : '';
}

/** Only data: image URLs may become an image source: nothing remote, ever. */
export function safeImageUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  return /^data:image\/(jpeg|png|webp|gif|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(url) ? url : null;
}

/**
 * A country's name in the reader's language with its code ("Tunisia
 * (TN)"), as the ISO 3166 code stored; the code alone when the runtime has
 * no name for it.
 */
export function countryName(code: string | null | undefined, locale: string): string {
  if (!code) return '';
  try {
    const name = new Intl.DisplayNames([locale], { type: 'region' }).of(code.toUpperCase());
    return name && name.toUpperCase() !== code.toUpperCase() ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

/**
 * Only a `blob:` URL this window made (of a recording the desk's backend
 * gave it, in memory) may become a player's source: nothing remote, no
 * file, no other origin's blob.
 */
export function safeMediaUrl(url: string | null | undefined, origin = globalThis.location?.origin): string | null {
  if (!url || !origin || origin === 'null') return null;
  const prefix = `blob:${origin}/`;
  return url.startsWith(prefix) && /^[A-Za-z0-9-]+$/.test(url.slice(prefix.length)) ? url : null;
}

/** The bytes of a base64 text (a file the backend handed over). */
export function fromBase64(data: string): Uint8Array<ArrayBuffer> {
  const text = atob(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
