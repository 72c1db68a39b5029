// Everything the interface holds from an open desk lives here, and only
// here, so that locking drops it in one place, as `session` does for the
// vault: the inbox, the case open (its records, the evidence files shown,
// the recordings the backend holds for it), devices, enrollment codes and
// figures. Loads that finish after a lock are discarded (the epoch check).

import { api } from './backend';
import type {
  DeskCaseRow,
  DeskCaseView,
  DeskCheck,
  DeskCode,
  DeskDevices,
  DeskEvidence,
  DeskFileView,
  DeskPullReport,
  StatsCell,
} from './types';

export type DeskView = { name: 'inbox' } | { name: 'case'; id: string } | { name: 'devices' } | { name: 'figures' };

export interface InboxFilter {
  search: string;
  /** A triage state, or "" for any. */
  state: string;
  urgentOnly: boolean;
}

export const emptyInboxFilter = (): InboxFilter => ({ search: '', state: '', urgentOnly: false });

export class DeskSession {
  /** Bumped by clear(); a load that started in an older epoch is dropped. */
  epoch = 0;
  /** Bumped on leaving a case too: what was loading for it is dropped. */
  private caseEpoch = 0;
  view = $state<DeskView>({ name: 'inbox' });
  filter = $state<InboxFilter>(emptyInboxFilter());
  cases = $state.raw<DeskCaseRow[]>([]);
  casesLoaded = $state(false);
  /** What the last "check for new cases" did. */
  pulled = $state.raw<DeskPullReport | null>(null);
  current = $state.raw<DeskCaseView | null>(null);
  /** The open case checked again, when asked. */
  check = $state.raw<DeskCheck | null>(null);
  /** Evidence files of the open case shown in the window, by evidence id. */
  files = $state.raw<Record<string, DeskFileView>>({});
  /** Recordings of the open case in this window's memory, by evidence id: the `blob:` URL each plays from. */
  media = $state.raw<Record<string, string>>({});
  devices = $state.raw<DeskDevices | null>(null);
  /** The enrollment code issued last, until the officer leaves the devices screen. */
  code = $state.raw<DeskCode | null>(null);
  stats = $state.raw<StatsCell[] | null>(null);

  /** Drops every desk datum and every view of it. */
  clear(): void {
    this.epoch += 1;
    this.view = { name: 'inbox' };
    this.filter = emptyInboxFilter();
    this.cases = [];
    this.casesLoaded = false;
    this.pulled = null;
    this.dropCase();
    this.devices = null;
    this.code = null;
    this.stats = null;
  }

  private dropCase(): void {
    this.caseEpoch += 1;
    this.current = null;
    this.check = null;
    this.files = {};
    api().releaseMedia(Object.values(this.media));
    this.media = {};
  }

  /** Runs `load` and keeps its result only if no lock came in between. */
  private async keep<T>(load: () => Promise<T>, store: (value: T) => void): Promise<T | null> {
    const epoch = this.epoch;
    const value = await load();
    if (epoch !== this.epoch) return null;
    store(value);
    return value;
  }

  /** As keep, for what belongs to the open case: dropped too if the officer left it. */
  private keepForCase<T>(load: () => Promise<T>, store: (value: T) => void): Promise<T | null> {
    const epoch = this.caseEpoch;
    return this.keep(load, (value) => {
      if (epoch === this.caseEpoch) store(value);
    });
  }

  go(view: DeskView): void {
    if (this.view.name === 'case' && (view.name !== 'case' || view.id !== this.view.id)) this.leaveCase();
    if (view.name !== 'devices') this.code = null;
    this.view = view;
  }

  loadCases() {
    const f = this.filter;
    const search = f.search.trim() || null;
    const state = f.state || null;
    return this.keep(
      () => api().deskCases(search, state, f.urgentOnly),
      (rows) => {
        this.cases = rows;
        this.casesLoaded = true;
      },
    );
  }

  /** Fetches and opens what arrived, then reads the inbox again. */
  async pull() {
    const report = await this.keep(() => api().deskPull(), (r) => (this.pulled = r));
    if (report) await this.loadCases();
    return report;
  }

  /** Shows a case; its screen loads it. */
  openCase(id: string): void {
    this.go({ name: 'case', id });
  }

  loadCase(id: string) {
    return this.keepForCase(() => api().deskCase(id), (v) => (this.current = v));
  }

  reloadCase() {
    return this.current ? this.loadCase(this.current.row.id) : Promise.resolve(null);
  }

  /**
   * Leaving a case: its records, the files shown and the check go from the
   * interface, and the recordings from the backend's memory.
   */
  leaveCase(): void {
    this.dropCase();
  }

  verify(id: string) {
    return this.keepForCase(() => api().deskVerify(id), (c) => (this.check = c));
  }

  /** Loads an image or a PDF of the open case into the window. */
  showFile(caseId: string, item: DeskEvidence) {
    const path = item.path;
    if (!path) return Promise.resolve(null);
    return this.keepForCase(
      () => api().deskFile(caseId, path),
      (f) => (this.files = { ...this.files, [item.id]: f }),
    );
  }

  hideFile(itemId: string): void {
    const { [itemId]: _gone, ...rest } = this.files;
    this.files = rest;
  }

  /** Has the backend hold a recording of the open case, to play. */
  async play(caseId: string, item: DeskEvidence) {
    const path = item.path;
    if (!path) return null;
    const epoch = this.caseEpoch;
    const url = await this.keepForCase(
      () => api().deskMedia(caseId, path),
      (u) => (this.media = { ...this.media, [item.id]: u }),
    );
    // Left the case (or locked) while it loaded: let it go at once.
    if (epoch !== this.caseEpoch && url) api().releaseMedia([url]);
    return url;
  }

  loadDevices() {
    return this.keep(() => api().deskDevices(), (d) => (this.devices = d));
  }

  enroll(label: string, hours: number) {
    return this.keep(() => api().deskEnroll(label, hours), (c) => (this.code = c));
  }

  loadStats() {
    return this.keep(() => api().deskStats(), (s) => (this.stats = s));
  }
}

export const desk = new DeskSession();
