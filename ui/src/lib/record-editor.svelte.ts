// The editing state of one section of the case editor (people, testimonies,
// consent, ...): which record is open in the form, what the form found
// wrong, the last change said aloud, the backend's refusal. The markup is
// case/SectionEditor.svelte; what a section adds is in its own component.

import { tick } from 'svelte';
import { api } from './backend';
import { t } from './i18n.svelte';
import { Pending } from './pending.svelte';
import { blankRecord, checkDraft, fromDraft, toDraft, today, type Draft, type Problem } from './records';
import { session } from './session.svelte';
import type { AnyRecord, ItemId, RecordKind } from './types';

type RecordValue = AnyRecord['record'];

export interface EditorHooks {
  /** The form opened (to reset what the section adds to it). */
  opened?: () => void;
  /** The record was saved (`created`: it is new), before the case is read again. */
  saved?: (id: ItemId, created: boolean) => Promise<void>;
}

export class RecordEditor extends Pending {
  editing = $state<{ id: ItemId | null; base: RecordValue; draft: Draft } | null>(null);
  problems = $state<Record<string, Problem>>({});
  /** Said in the section's status region. */
  saved = $state('');

  constructor(
    readonly kind: RecordKind,
    private readonly hooks: EditorHooks = {},
  ) {
    super();
  }

  /** The id of the form's heading, which takes the focus when it opens. */
  get headingId(): string {
    return `${this.kind}-form-heading`;
  }

  async open(id: ItemId | null, base: RecordValue): Promise<void> {
    this.editing = { id, base, draft: toDraft(this.kind, base) };
    this.problems = {};
    this.error = null;
    this.saved = '';
    this.hooks.opened?.();
    await tick();
    document.getElementById(this.headingId)?.focus();
  }

  /** A new record of the case, from the vocabulary's first codes. */
  add(caseId: ItemId): Promise<void> {
    return this.open(null, blankRecord(this.kind, caseId, session.vocabulary, today()).record);
  }

  close(): void {
    this.editing = null;
  }

  async save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const editing = this.editing;
    if (!editing || this.busy) return;
    this.problems = checkDraft(this.kind, editing.draft);
    if (Object.keys(this.problems).length) {
      await tick();
      document.querySelector<HTMLElement>('.record-form [aria-invalid="true"]')?.focus();
      return;
    }
    await this.change(async () => {
      const record = fromDraft(this.kind, editing.draft, editing.base);
      const id = await api().recordSave(editing.id, { kind: this.kind, record } as AnyRecord);
      await this.hooks.saved?.(id, editing.id === null);
      this.editing = null;
    }, t('form.saved'));
  }

  /** Runs a change to the case, says `done`, and reads the case again; or shows why not. */
  async change(run: () => Promise<unknown>, done: string): Promise<void> {
    await this.run(async () => {
      await run();
      this.saved = done;
      await session.reloadCase();
    });
  }
}
