import { describe, expect, it } from 'vitest';
import { Session } from './session.svelte';
import { emptyFilter } from './filter';
import { useBackend } from './backend';
import * as fake from './ipc.mock';
import { app, lockInterface, lockNow, failure } from './app.svelte';
import { session } from './session.svelte';

const SECRET = 'Secret title of a detention';

function fill(s: Session): void {
  s.view = { name: 'case', id: 'c1' };
  s.vocabulary = { roles: ['victim'] } as never;
  s.filter = { ...emptyFilter(), query: SECRET };
  s.cases = [{ id: 'c1', title: SECRET } as never];
  s.casesLoaded = true;
  s.current = { id: 'c1', case: { title: SECRET } } as never;
  s.outbox = [{ bundle_id: 'b', case_id: 'c1' } as never];
  s.device = { key_id: 'k', enrolled: true, server: 's', proxy: null };
  s.thumbs = { e1: 'data:image/jpeg;base64,AAAA' };
  s.jobs = [{ job: 'j', caseId: 'c1', names: ['photo.jpg'] } as never];
  s.forgotten = { automatic: false, result: { bundle_id: 'forgotten-bundle', items: 5, people: 1 } };
}

function snapshot(s: Session) {
  return JSON.stringify({
    view: s.view,
    vocabulary: s.vocabulary,
    filter: s.filter,
    cases: s.cases,
    casesLoaded: s.casesLoaded,
    current: s.current,
    outbox: s.outbox,
    device: s.device,
    thumbs: s.thumbs,
    jobs: s.jobs,
    forgotten: s.forgotten,
  });
}

describe('the session store', () => {
  it('forgets every piece of vault data on clear', () => {
    const s = new Session();
    const empty = snapshot(s);
    fill(s);
    expect(snapshot(s)).toContain(SECRET);
    s.clear();
    expect(snapshot(s)).toBe(empty);
    expect(snapshot(s)).not.toContain(SECRET);
    expect(snapshot(s)).not.toContain('photo.jpg');
    expect(snapshot(s)).not.toContain('forgotten-bundle');
  });

  it('drops a load that finishes after a lock', async () => {
    let release: (v: unknown) => void = () => {};
    useBackend({ ...fake, caseList: () => new Promise((r) => (release = r)) } as never);
    const s = new Session();
    const load = s.loadCases();
    s.clear();
    release([{ id: 'c1', title: SECRET }]);
    await load;
    expect(s.cases).toEqual([]);
    expect(s.casesLoaded).toBe(false);
    useBackend(fake);
  });

  it('keeps import events that arrive before the job id', () => {
    const s = new Session();
    s.jobProgress({ job: 'j1', index: 0, count: 2, bytes_done: 5, bytes_total: 10 });
    s.jobDone({ job: 'j1', imported: ['a'], failed: [] });
    s.startJob('j1', 'c1', ['/x/a.jpg', 'C:\\\\y\\\\b.png']);
    expect(s.jobs[0]).toMatchObject({ done: true, imported: 1, names: ['a.jpg', 'b.png'] });
  });

  it('is cleared by the Lock button, the backend lock event and a "locked" answer', async () => {
    fake.mock.reset({ vault: 'unlocked' });
    app.phase = 'unlocked';
    fill(session);
    await lockNow();
    expect(app.phase).toBe('locked');
    expect(snapshot(session)).not.toContain(SECRET);
    expect(fake.mock.calls).toContain('vault_lock');

    app.phase = 'unlocked';
    fill(session);
    lockInterface('idle');
    expect(app.lockReason).toBe('idle');
    expect(snapshot(session)).not.toContain(SECRET);

    app.phase = 'unlocked';
    fill(session);
    const error = failure({ code: 'locked', message: 'the vault is locked' });
    expect(error.code).toBe('locked');
    expect(app.phase).toBe('locked');
    expect(snapshot(session)).not.toContain(SECRET);
  });
});
