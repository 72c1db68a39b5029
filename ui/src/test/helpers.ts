import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../App.svelte';
import * as fake from '../lib/ipc.mock';
import type { MockOptions } from '../lib/ipc.mock';

export { fake };

/** Starts the whole app over a fresh fake backend. */
export async function start(options: MockOptions = {}) {
  fake.mock.reset(options);
  const result = render(App);
  return result;
}

export function type(testid: string, value: string, index = 0) {
  const el = screen.getAllByTestId(testid)[index] as HTMLInputElement;
  fireEvent.input(el, { target: { value } });
  return el;
}

export async function unlocked(options: MockOptions = {}) {
  const r = await start({ vault: 'unlocked', ...options });
  await screen.findByTestId('lock-button');
  return r;
}

/** Opens the case whose row shows `title`. */
export async function openCase(title: string) {
  const row = (await screen.findAllByTestId('case-row')).find((r) => r.textContent?.includes(title));
  if (!row) throw new Error(`no case row ${title}`);
  await fireEvent.click(row);
  await screen.findByRole('tablist');
}

export async function tab(name: string) {
  await fireEvent.click(screen.getByTestId(`tab-${name}`));
}

export { fireEvent, screen, waitFor };
