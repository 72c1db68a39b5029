import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../lib/backend';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

describe('cases', () => {
  it('creates a case, then opens every part of it', async () => {
    await unlocked();
    await fireEvent.click(screen.getByTestId('new-case'));
    expect(screen.queryByTestId('tab-people')).toBeNull();
    type('case-title', 'Raid on the market');
    await fireEvent.click(screen.getByTestId('case-save'));
    await screen.findByTestId('tab-people');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Raid on the market');
    await fireEvent.click(screen.getByTestId('cases-nav'));
    const row = await screen.findByTestId('case-row');
    expect(row.textContent).toContain('Raid on the market');
  });

  it('refuses an empty title before asking the backend', async () => {
    await unlocked();
    await fireEvent.click(screen.getByTestId('new-case'));
    await fireEvent.click(screen.getByTestId('case-save'));
    expect(screen.getByTestId('case-title').getAttribute('aria-invalid')).toBe('true');
    expect(fake.mock.calls).not.toContain('case_save');
  });

  it('sends the filters as the case_list argument', async () => {
    const caseList = vi.fn(fake.caseList);
    useBackend({ ...fake, caseList });
    await unlocked({ seed: true });
    await fireEvent.change(screen.getByTestId('filter-status'), { target: { value: 'under_review' } });
    await waitFor(() =>
      expect(caseList).toHaveBeenLastCalledWith({ query: null, status: 'under_review', violation: null, vulnerability: null, delivery: null }),
    );
    await waitFor(() => expect(screen.getAllByTestId('case-row')).toHaveLength(1));
    type('case-search', '  nothing like it ');
    await waitFor(() => expect(caseList).toHaveBeenLastCalledWith(expect.objectContaining({ query: 'nothing like it' })));
    await screen.findByText(/No case matches/);
    useBackend(fake);
  });

  it('records a testimony under the Istanbul Protocol headings', async () => {
    await unlocked({ seed: true });
    await openCase('Disappearance of a lawyer');
    await tab('testimonies');
    await fireEvent.click(screen.getByTestId('testimony-add'));
    for (const heading of ['The interview', 'The account', 'Physical and psychological complaints', 'Testimony in the person’s own words']) {
      expect(screen.getByText(heading)).toBeTruthy();
    }
    type('testimony-narrative', 'He was taken from the court steps.');
    await fireEvent.click(screen.getByTestId('testimony-save'));
    const row = await screen.findByTestId('testimony-row');
    expect(row.textContent).toContain('He was taken from the court steps.');
    expect(screen.getByTestId('tab-testimonies').textContent).toContain('1');
  });

  it('adds a person with a role, then gives them a second role', async () => {
    await unlocked({ seed: true });
    await openCase('Disappearance of a lawyer');
    await tab('people');
    await fireEvent.click(screen.getByTestId('person-add'));
    type('person-name', 'Karim');
    await fireEvent.change(screen.getByTestId('person-role'), { target: { value: 'witness' } });
    await fireEvent.click(screen.getByTestId('person-save'));
    const row = await screen.findByTestId('person-row');
    expect(row.textContent).toMatch(/Karim/);
    expect(row.textContent).toMatch(/Witness/);
    await fireEvent.change(screen.getByLabelText('Person'), { target: { value: (await fake.caseGet(await firstCaseId())).people[0].id } });
    await fireEvent.change(screen.getByLabelText('Role in this case'), { target: { value: 'relative' } });
    await fireEvent.click(screen.getByText('Add the role'));
    await waitFor(() => expect(screen.getAllByTestId('person-row')).toHaveLength(2));
  });

  it('deletes a record only after confirmation', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('violations');
    await screen.findByTestId('violation-row');
    await fireEvent.click(screen.getByText(/^Delete/));
    expect(screen.getByTestId('violation-row')).toBeTruthy();
    await fireEvent.click(screen.getByText('Yes, delete'));
    await screen.findByText('No violation recorded yet.');
  });

  it('moves between parts with the arrow keys', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    const basics = screen.getByTestId('tab-basics');
    basics.focus();
    await fireEvent.keyDown(basics, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('tab-people')));
    expect(screen.getByTestId('tab-people').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('tab-handover')));
  });
});

const TITLE = 'Arrest of three students, May 2024';

async function firstCaseId(): Promise<string> {
  const list = await fake.caseList({ query: 'lawyer', status: null, violation: null, vulnerability: null, delivery: null });
  return list[0].id;
}
