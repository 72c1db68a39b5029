import './app.css';
import './desk/desk.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { inTauri, useBackend } from './lib/backend';

// Tauri's isolation pattern adds an invisible frame that carries IPC
// messages. It has no content for anyone: keep it out of the
// accessibility tree and out of the tab order (axe-core asks for a title
// on every frame). The hook may add it after this script runs.
function quietIsolationFrame(): void {
  const mark = (): boolean => {
    const frame = document.getElementById('__tauri_isolation__');
    if (!frame) return false;
    frame.setAttribute('title', 'IPC isolation');
    frame.setAttribute('aria-hidden', 'true');
    frame.setAttribute('tabindex', '-1');
    return true;
  };
  if (mark()) return;
  const watch = new MutationObserver(() => {
    if (mark()) watch.disconnect();
  });
  watch.observe(document.documentElement, { childList: true, subtree: true });
}

async function start(): Promise<void> {
  quietIsolationFrame();
  // Outside the Tauri window, `vite dev` talks to the in-memory fake; a
  // production build never does (it would look real and keep nothing).
  if (import.meta.env.DEV && !inTauri()) {
    const fake = await import('./lib/ipc.mock');
    const params = new URLSearchParams(window.location.search);
    const vault = params.get('vault');
    // ?mode=desk&desk=unlocked opens the fake desk; no mode asks, as a first run does.
    const mode = params.get('mode');
    const desk = params.get('desk');
    fake.mock.reset({
      vault: vault === 'locked' || vault === 'unlocked' ? vault : 'none',
      seed: params.has('seed'),
      seedOnCreate: true,
      enrolled: params.has('enrolled'),
      delay: 400,
      // Delivered bundles are then received by OMCT a moment later, so the whole path shows.
      autoAcknowledge: true,
      language: params.get('lang') ?? 'en',
      neutral: params.has('neutral'),
      mode: mode === 'field' || mode === 'desk' ? mode : vault === 'locked' || vault === 'unlocked' ? 'field' : null,
      desk: desk === 'locked' || desk === 'unlocked' ? desk : 'none',
      demo: params.has('demo') ? { server: 'https://demo.intake.test', note: 'demo' } : null,
    });
    useBackend(fake);
  }
  const target = document.getElementById('app');
  if (target) mount(App, { target });
}

void start();
