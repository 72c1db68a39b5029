// The panic-wipe shortcut: Ctrl+Shift+Alt+W, on every screen.
//
// The key is matched by the letter it types when that is a Latin letter
// (so W is the key labelled W on AZERTY as on QWERTY), and by its position
// otherwise (an Arabic layout, or a layout where Ctrl+Alt types another
// character).

/** What the shortcut is, for `aria-keyshortcuts`. */
export const WIPE_SHORTCUT = 'Control+Shift+Alt+W';

export function isWipeShortcut(e: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey'>): boolean {
  if (!e.ctrlKey || !e.shiftKey || !e.altKey || e.metaKey) return false;
  const key = typeof e.key === 'string' && e.key.length === 1 ? e.key.toLowerCase() : '';
  if (/^[a-z]$/.test(key)) return key === 'w';
  return e.code === 'KeyW';
}
