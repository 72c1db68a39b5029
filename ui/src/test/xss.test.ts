import { describe, expect, it } from 'vitest';
import { api } from '../lib/backend';
import { render } from '@testing-library/svelte';
import App from '../App.svelte';
import { fake, fireEvent, openCase, screen, tab } from './helpers';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>window.__pwned = true</script>';

describe('user text renders as text', () => {
  it('shows hostile titles and narratives literally and creates no element', async () => {
    fake.mock.reset({ vault: 'unlocked' });
    const caseId = await api().caseSave(null, {
      title: `${IMG} case`,
      summary: SCRIPT,
      status: 'open',
      urgent: false,
      incident_start: null,
      incident_end: null,
      country: null,
      location: null,
      participants: [],
      tags: [],
    });
    const person = await api().recordSave(null, {
      kind: 'person',
      record: { name: `<b onmouseover=x>Name</b>`, other_names: [], pseudonym: null, gender: null, birth_year: null, nationality: null, occupation: null, vulnerabilities: [], contact: null },
    });
    await api().recordSave(null, {
      kind: 'testimony',
      record: {
        case_id: caseId,
        witness: person,
        interview: { date: null, place: null, interviewer: null, people_present: [], interpreter: null, language: null, circumstances: null },
        account: { background: null, arrest_and_detention: null, place_and_conditions: null, methods: [], methods_described: null, perpetrators_described: null, after_release: null },
        complaints: { physical_acute: null, physical_chronic: null, psychological_acute: null, psychological_chronic: null },
        narrative: `${SCRIPT} ${IMG}`,
      },
    });

    render(App);
    await screen.findByTestId('lock-button');
    const row = (await screen.findAllByTestId('case-row'))[0];
    expect(row.textContent).toContain(IMG);
    await openCase('case');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain(IMG);
    expect((screen.getByTestId('case-title') as HTMLInputElement).value).toBe(`${IMG} case`);
    await tab('testimonies');
    const testimony = await screen.findByTestId('testimony-row');
    expect(testimony.textContent).toContain(SCRIPT);
    expect(testimony.textContent).toContain('<b onmouseover=x>Name</b>');

    expect(document.querySelector('img')).toBeNull();
    expect(document.querySelector('script')).toBeNull();
    expect(document.querySelector('b')).toBeNull();
    expect(document.querySelector('[onerror]')).toBeNull();
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
    await fireEvent.click(screen.getAllByText(/^Edit/)[0]);
    expect((screen.getByTestId('testimony-narrative') as HTMLTextAreaElement).value).toBe(`${SCRIPT} ${IMG}`);
    expect(document.querySelector('script')).toBeNull();
  });
});
