// Every test talks to the in-memory backend, starts from an empty one, and
// reads English.
import { beforeEach } from 'vitest';
import * as fake from '../lib/ipc.mock';
import { useBackend } from '../lib/backend';
import { applyLanguage, applyNeutral } from '../lib/i18n.svelte';
import { session } from '../lib/session.svelte';
import { app } from '../lib/app.svelte';

useBackend(fake);

beforeEach(() => {
  fake.mock.reset();
  session.clear();
  app.phase = 'loading';
  app.lockReason = null;
  app.problem = null;
  app.demo = null;
  app.wipeOpen = false;
  app.restoreProblem = null;
  applyNeutral(false);
  applyLanguage('en');
});
