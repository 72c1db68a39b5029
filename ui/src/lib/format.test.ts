import { describe, expect, it } from 'vitest';
import {
  countryName,
  formatBytes,
  formatCoordinates,
  formatPartialDate,
  formatPercent,
  formatTimestamp,
  isPartialDate,
  safeImageUrl,
  safeMediaUrl,
  shortId,
} from './format';

describe('partial dates', () => {
  it('accepts a year, a month or a real day', () => {
    for (const d of ['2024', '2024-05', '2024-05-14', '2024-02-29', '1900', '2100-12-31']) {
      expect(isPartialDate(d), d).toBe(true);
    }
  });

  it('rejects what is not a date', () => {
    for (const d of ['', '24', '2024-5', '2024-13', '2023-02-29', '2024-04-31', '2024-05-14T10:00', '1899', 'May 2024']) {
      expect(isPartialDate(d), d).toBe(false);
    }
  });

  it('shows only the precision it has', () => {
    expect(formatPartialDate('2024', 'en')).toBe('2024');
    expect(formatPartialDate('2024-05', 'en')).toBe('May 2024');
    expect(formatPartialDate('2024-05-14', 'en')).toBe('May 14, 2024');
    expect(formatPartialDate('2024-05-14', 'fr')).toBe('14 mai 2024');
    expect(formatPartialDate('2024-05', 'es')).toMatch(/mayo/);
    expect(formatPartialDate(null, 'en')).toBe('');
    expect(formatPartialDate('garbage', 'en')).toBe('garbage');
  });

  it('does not shift a day across time zones', () => {
    expect(formatPartialDate('2024-01-01', 'en')).toBe('January 1, 2024');
  });
});

describe('other formats', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0, 'en')).toBe('0 byte');
    expect(formatBytes(1536, 'en')).toBe('1.5 kB');
    expect(formatBytes(5 * 1024 * 1024, 'en')).toBe('5 MB');
    expect(formatBytes(-1, 'en')).toBe('');
  });

  it('keeps coordinates in Latin digits with six decimals, in every language', () => {
    expect(formatCoordinates(36.8065, 10.1815)).toBe('36.806500, 10.181500');
    expect(formatCoordinates(-33.9, -70.65)).toBe('-33.900000, -70.650000');
    expect(formatCoordinates(null, 10)).toBe('?, 10.000000');
  });

  it('formats timestamps and leaves unparseable ones as they are', () => {
    expect(formatTimestamp('2025-01-01T12:00:00Z', 'en')).toMatch(/2025/);
    expect(formatTimestamp('yesterday', 'en')).toBe('yesterday');
    expect(formatTimestamp(null, 'en')).toBe('');
  });

  it('clamps percentages', () => {
    expect(formatPercent(42.4, 'en')).toBe('42%');
    expect(formatPercent(140, 'en')).toBe('100%');
  });

  it('shortens ids', () => {
    expect(shortId('0123456789abcdef')).toBe('01234567');
    expect(shortId(null)).toBe('');
  });

  it('lets only data: image URLs through', () => {
    expect(safeImageUrl('data:image/jpeg;base64,/9j/4AAQ')).toBe('data:image/jpeg;base64,/9j/4AAQ');
    expect(safeImageUrl('https://example.org/x.jpg')).toBeNull();
    expect(safeImageUrl('data:text/html;base64,PHNjcmlwdD4=')).toBeNull();
    expect(safeImageUrl('data:image/png;base64,AAA" onerror="x')).toBeNull();
    expect(safeImageUrl('javascript:alert(1)')).toBeNull();
    expect(safeImageUrl(null)).toBeNull();
  });

  it('lets only the desk\'s own recording URLs through to a player', () => {
    const origin = 'tauri://localhost';
    const own = 'blob:tauri://localhost/6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab';
    expect(safeMediaUrl(own, origin)).toBe(own);
    expect(safeMediaUrl('https://example.org/a.ogg', origin)).toBeNull();
    expect(safeMediaUrl('blob:https://example.org/6f1c2d3e', origin)).toBeNull();
    expect(safeMediaUrl('blob:tauri://localhost/../etc/passwd', origin)).toBeNull();
    expect(safeMediaUrl('file:///tmp/a.wav', origin)).toBeNull();
    expect(safeMediaUrl(own, 'null')).toBeNull();
    expect(safeMediaUrl(null, origin)).toBeNull();
  });

  it('names a country in the reader\'s language, with its code', () => {
    expect(countryName('TN', 'en')).toBe('Tunisia (TN)');
    expect(countryName('TN', 'fr')).toBe('Tunisie (TN)');
    expect(countryName(null, 'en')).toBe('');
    expect(countryName('unknown', 'en')).toBe('unknown');
  });
});
