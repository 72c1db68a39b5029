// Every test talks to the in-memory backend, starts from an empty one, and
// reads English.
import { beforeEach } from 'vitest';
import { configure } from '@testing-library/svelte';
import * as fake from '../lib/ipc.mock';
import { useBackend } from '../lib/backend';
import { applyDeskWords, applyLanguage, applyNeutral } from '../lib/i18n.svelte';
import { desk } from '../lib/desk.svelte';
import { session } from '../lib/session.svelte';
import { app } from '../lib/app.svelte';

useBackend(fake);

// The desk's screens, pdf.js and Chart.js load as chunks of their own on
// first use: on a busy machine (a build beside the tests) that takes more
// than the default second. Waiting longer costs nothing when they are fast.
configure({ asyncUtilTimeout: 10_000 });

beforeEach(() => {
  fake.mock.reset();
  session.clear();
  desk.clear();
  app.phase = 'loading';
  app.mode = null;
  app.lockReason = null;
  app.problem = null;
  app.demo = null;
  app.wipeOpen = false;
  app.restoreProblem = null;
  applyNeutral(false);
  applyDeskWords(false);
  applyLanguage('en');
});
