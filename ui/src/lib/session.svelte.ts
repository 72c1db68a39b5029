// Everything the interface holds from an unlocked vault lives here, and only
// here, so that locking can drop it in one place. Screens keep drafts in
// their own component state, which goes when the lock screen replaces them.
// Loads that finish after a lock are discarded (the epoch check).

import { api } from './backend';
import { toAppError } from './errors';
import { emptyFilter, toCaseFilter, type FilterForm } from './filter';
import type {
  CaseDetail,
  CaseSummary,
  DeviceInfo,
  ForgetResult,
  ImportDone,
  ImportFailure,
  ImportProgress,
  ItemId,
  OutboxRow,
  UnreadMessages,
  Vocabulary,
} from './types';

export type View =
  | { name: 'cases' }
  | { name: 'case'; id: ItemId | null }
  | { name: 'outbox' }
  | { name: 'settings' };

/**
 * A case just removed from this computer, said on the cases list: by the
 * person (what was removed), or by the standing policy while it was open.
 */
export type Forgotten = { automatic: false; result: ForgetResult } | { automatic: true };

export interface ImportJob {
  job: string;
  caseId: ItemId;
  /** The files' names, to say which one failed. */
  names: string[];
  count: number;
  index: number;
  bytesDone: number;
  bytesTotal: number;
  done: boolean;
  imported: number;
  failed: ImportFailure[];
}

export class Session {
  /** Bumped by clear(); a load that started in an older epoch is dropped. */
  epoch = 0;
  view = $state<View>({ name: 'cases' });
  vocabulary = $state.raw<Vocabulary | null>(null);
  filter = $state<FilterForm>(emptyFilter());
  cases = $state.raw<CaseSummary[]>([]);
  casesLoaded = $state(false);
  current = $state.raw<CaseDetail | null>(null);
  outbox = $state.raw<OutboxRow[]>([]);
  /** Messages from OMCT's desk not yet read: how many, and in which cases. */
  unread = $state.raw<UnreadMessages>({ count: 0, cases: [] });
  device = $state.raw<DeviceInfo | null>(null);
  thumbs = $state.raw<Record<ItemId, string | null>>({});
  jobs = $state.raw<ImportJob[]>([]);
  forgotten = $state.raw<Forgotten | null>(null);
  /** The case being forgotten by the person, so the event it sends is not taken for the policy. */
  private forgetting: ItemId | null = null;
  /** Events that came before evidence_import answered with the job id. */
  private early = new Map<string, { progress?: ImportProgress; done?: ImportDone }>();

  /** Drops every piece of vault data and every view of it. */
  clear(): void {
    this.epoch += 1;
    this.view = { name: 'cases' };
    this.vocabulary = null;
    this.filter = emptyFilter();
    this.cases = [];
    this.casesLoaded = false;
    this.current = null;
    this.outbox = [];
    this.unread = { count: 0, cases: [] };
    this.device = null;
    this.thumbs = {};
    this.jobs = [];
    this.forgotten = null;
    this.forgetting = null;
    this.early.clear();
  }

  /** Runs `load` and keeps its result only if no lock came in between. */
  private async keep<T>(load: () => Promise<T>, store: (value: T) => void): Promise<T | null> {
    const epoch = this.epoch;
    const value = await load();
    if (epoch !== this.epoch) return null;
    store(value);
    return value;
  }

  loadVocabulary() {
    return this.keep(() => api().vocabulary(), (v) => (this.vocabulary = v));
  }

  loadCases() {
    const filter = toCaseFilter(this.filter);
    return this.keep(
      () => api().caseList(filter),
      (v) => {
        this.cases = v;
        this.casesLoaded = true;
      },
    );
  }

  /** Opens a case (or a new one, with id null) in the editor. */
  async openCase(id: ItemId | null) {
    this.current = null;
    this.view = { name: 'case', id };
    if (id !== null) await this.loadCase(id);
  }

  loadCase(id: ItemId) {
    return this.keep(() => api().caseGet(id), (v) => (this.current = v));
  }

  reloadCase() {
    return this.current ? this.loadCase(this.current.id) : Promise.resolve(null);
  }

  loadOutbox() {
    return this.keep(() => api().outboxList(), (v) => (this.outbox = v));
  }

  loadUnread() {
    return this.keep(() => api().messagesUnread(), (v) => (this.unread = v));
  }

  /**
   * Removes a case OMCT received from this computer (refused unless OMCT's
   * desk acknowledged a submission of it as it is now), then shows the
   * cases list, which says what was removed.
   */
  async forget(id: ItemId): Promise<ForgetResult | null> {
    const epoch = this.epoch;
    this.forgetting = id;
    try {
      const result = await api().caseForget(id);
      if (epoch !== this.epoch) return null;
      this.left(id, { automatic: false, result });
      return result;
    } finally {
      if (this.forgetting === id) this.forgetting = null;
    }
  }

  /**
   * After the outbox changed: the case open in the editor may have been
   * acknowledged by OMCT's desk and forgotten by the standing policy. Then
   * the editor goes.
   */
  async leaveIfForgotten(): Promise<void> {
    const view = this.view;
    if (view.name !== 'case' || view.id === null || view.id === this.forgetting) return;
    const id = view.id;
    const rows = this.outbox.filter((r) => r.case_id === id);
    if (!rows.length || rows[rows.length - 1].status !== 'acknowledged') return;
    const epoch = this.epoch;
    try {
      await api().caseGet(id);
    } catch (e) {
      const error = toAppError(e);
      if (error.code !== 'not_found') throw error;
      const still = this.view.name === 'case' && this.view.id === id;
      if (epoch === this.epoch && still && this.forgetting !== id) this.left(id, { automatic: true });
    }
  }

  private left(id: ItemId, notice: Forgotten): void {
    if (this.current?.id === id) this.current = null;
    this.cases = this.cases.filter((c) => c.id !== id);
    this.forgotten = notice;
    this.view = { name: 'cases' };
  }

  loadDevice() {
    return this.keep(() => api().deviceInfo(), (v) => (this.device = v));
  }

  async thumbnail(id: ItemId): Promise<string | null> {
    if (id in this.thumbs) return this.thumbs[id];
    const url = await this.keep(
      () => api().evidenceThumbnail(id),
      (v) => (this.thumbs = { ...this.thumbs, [id]: v }),
    );
    return url;
  }

  startJob(job: string, caseId: ItemId, paths: string[]): void {
    if (this.jobs.some((j) => j.job === job)) return;
    const names = paths.map((p) => p.split(/[\\/]/).pop() ?? p);
    this.jobs = [
      ...this.jobs,
      { job, caseId, names, count: paths.length, index: 0, bytesDone: 0, bytesTotal: 0, done: false, imported: 0, failed: [] },
    ];
    const early = this.early.get(job);
    this.early.delete(job);
    if (early?.progress) this.jobProgress(early.progress);
    if (early?.done) this.jobDone(early.done);
  }

  jobProgress(p: ImportProgress): void {
    if (!this.jobs.some((j) => j.job === p.job)) {
      this.early.set(p.job, { ...this.early.get(p.job), progress: p });
      return;
    }
    this.jobs = this.jobs.map((j) =>
      j.job === p.job
        ? { ...j, index: p.index, count: p.count, bytesDone: p.bytes_done, bytesTotal: p.bytes_total }
        : j,
    );
  }

  jobDone(d: ImportDone): ImportJob | null {
    const job = this.jobs.find((j) => j.job === d.job);
    if (!job) {
      this.early.set(d.job, { ...this.early.get(d.job), done: d });
      return null;
    }
    const finished = { ...job, done: true, index: job.count, imported: d.imported.length, failed: d.failed };
    this.jobs = this.jobs.map((j) => (j.job === d.job ? finished : j));
    return finished;
  }

  dismissJob(job: string): void {
    this.jobs = this.jobs.filter((j) => j.job !== job);
  }
}

export const session = new Session();
