// The fake's messages with OMCT's desk: what the desk wrote (a test puts
// them there with `mock.deskMessage`) and the person's answers, queued
// until the fake outbox "sends" them.

import { AppError } from '../errors';
import type { ItemId, MessageView } from '../types';
import { vaultCommand } from './command';
import { emit, later, listeners } from './events';
import { log } from './records';
import { clone, vault } from './state';

const changed = () => emit(listeners.outbox, undefined);

function id(): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** OMCT's desk writes about a case: arrives as the outbox would take it, unread. */
export function deskWrites(caseId: ItemId, text: string, kind = 'question'): MessageView {
  const m: MessageView = {
    id: id(),
    case_id: caseId,
    from_desk: true,
    kind,
    text,
    in_reply_to: null,
    sent_at: new Date().toISOString(),
    status: 'received',
    read: false,
  };
  vault().messages.push(m);
  log(vault(), 'message_received', caseId, '');
  changed();
  return m;
}

export const messagesList = vaultCommand('messagesList', async (caseId) =>
  clone(vault().messages.filter((m) => m.case_id === caseId)),
);

export const messagesUnread = vaultCommand('messagesUnread', async () => {
  const unread = vault().messages.filter((m) => !m.read);
  return { count: unread.length, cases: [...new Set(unread.map((m) => m.case_id))].sort() };
});

export const messagesMarkRead = vaultCommand('messagesMarkRead', async (caseId) => {
  let n = 0;
  for (const m of vault().messages) {
    if (m.case_id === caseId && !m.read) {
      m.read = true;
      n += 1;
    }
  }
  if (n) changed();
  return n;
});

export const messageAnswer = vaultCommand('messageAnswer', async (messageId, text) => {
  const asked = vault().messages.find((m) => m.id === messageId);
  if (!asked) throw new AppError('invalid_input', 'there is no such message');
  if (!text.trim()) throw new AppError('invalid_input', 'the message is empty');
  const m: MessageView = {
    id: id(),
    case_id: asked.case_id,
    from_desk: false,
    kind: 'answer',
    text,
    in_reply_to: messageId,
    sent_at: new Date().toISOString(),
    status: 'queued',
    read: true,
  };
  const v = vault();
  v.messages.push(m);
  log(v, 'message_sent', asked.case_id, '');
  // The fake outbox sends it a step later.
  later(() => {
    m.status = 'sent';
    changed();
  });
  changed();
  return clone(m);
});
