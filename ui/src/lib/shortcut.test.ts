import { describe, expect, it } from 'vitest';
import { isWipeShortcut } from './shortcut';

const press = (key: string, code: string, mods: Partial<Record<'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey', boolean>> = {}) => ({
  key,
  code,
  ctrlKey: true,
  shiftKey: true,
  altKey: true,
  metaKey: false,
  ...mods,
});

describe('the panic-wipe shortcut', () => {
  it('is Ctrl+Shift+Alt+W', () => {
    expect(isWipeShortcut(press('W', 'KeyW'))).toBe(true);
    expect(isWipeShortcut(press('w', 'KeyW'))).toBe(true);
  });

  it('needs all three modifiers and no other', () => {
    expect(isWipeShortcut(press('W', 'KeyW', { ctrlKey: false }))).toBe(false);
    expect(isWipeShortcut(press('W', 'KeyW', { shiftKey: false }))).toBe(false);
    expect(isWipeShortcut(press('W', 'KeyW', { altKey: false }))).toBe(false);
    expect(isWipeShortcut(press('W', 'KeyW', { metaKey: true }))).toBe(false);
  });

  it('follows the label on Latin layouts (AZERTY swaps Z and W)', () => {
    expect(isWipeShortcut(press('W', 'KeyZ'))).toBe(true);
    expect(isWipeShortcut(press('Z', 'KeyW'))).toBe(false);
  });

  it('follows the position on other layouts', () => {
    expect(isWipeShortcut(press('ص', 'KeyW'))).toBe(true);
    expect(isWipeShortcut(press('Dead', 'KeyW'))).toBe(true);
    expect(isWipeShortcut(press('ث', 'KeyE'))).toBe(false);
  });
});
