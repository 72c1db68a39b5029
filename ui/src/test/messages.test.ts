// Messages with OMCT's desk: a question the desk wrote shows on its case
// (the badge says it is there until it is read), and the defender answers.
import { describe, expect, it } from 'vitest';
import { session } from '../lib/session.svelte';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';
const QUESTION = 'Please record the family\'s consent for publication.\nThank you.';

describe('messages with OMCT', () => {
  it('shows a question on its case, clears the badge once read, and sends the answer', async () => {
    await unlocked({ seed: true, enrolled: true });
    await openCase(TITLE);
    const id = session.current!.id;
    fake.mock.deskMessage(id, QUESTION);
    const badge = await screen.findByTestId('unread-badge');
    expect(badge.textContent).toContain('Unread messages from OMCT: 1');

    await tab('handover');
    const section = await screen.findByTestId('case-messages');
    const shown = await screen.findByTestId('message');
    expect(shown.getAttribute('data-from-desk')).toBe('true');
    // Line breaks kept, shown as text.
    expect(shown.querySelector('.message-text')?.textContent).toBe(QUESTION);
    expect(screen.getByTestId('message-new')).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId('unread-badge')).toBeNull());
    expect(fake.mock.calls).toContain('messages_mark_read');

    // An empty answer cannot be sent; a real one is sealed and queued.
    const send = screen.getByTestId('message-send') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    type('message-answer', 'Recorded today, with an interpreter.');
    await fireEvent.click(send);
    await waitFor(() => expect(screen.getAllByTestId('message').length).toBe(2));
    const mine = screen.getAllByTestId('message')[1];
    expect(mine.getAttribute('data-from-desk')).toBe('false');
    expect(mine.textContent).toContain('Recorded today, with an interpreter.');
    await waitFor(() => expect(mine.getAttribute('data-status')).toBe('sent'));
    expect(section.textContent).toContain('Messages with OMCT');
  });

  it('says there is none, and offers no answer form, on a case OMCT never wrote about', async () => {
    await unlocked({ seed: true, enrolled: true });
    await openCase(TITLE);
    await tab('handover');
    await screen.findByTestId('messages-none');
    expect(screen.queryByTestId('message-answer')).toBeNull();
    expect(screen.queryByTestId('unread-badge')).toBeNull();
  });
});
