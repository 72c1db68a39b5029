import { describe, expect, it } from 'vitest';
import { api } from '../lib/backend';
import { blankCase, blankPerson, blankTestimony } from '../lib/records';
import { render } from '@testing-library/svelte';
import App from '../App.svelte';
import { fake, fireEvent, openCase, screen, tab } from './helpers';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>window.__pwned = true</script>';

describe('user text renders as text', () => {
  it('shows hostile titles and narratives literally and creates no element', async () => {
    fake.mock.reset({ vault: 'unlocked' });
    const caseId = await api().caseSave(null, { ...blankCase(null), title: `${IMG} case`, summary: SCRIPT });
    const person = await api().recordSave(null, { kind: 'person', record: { ...blankPerson(), name: `<b onmouseover=x>Name</b>` } });
    await api().recordSave(null, {
      kind: 'testimony',
      record: { ...blankTestimony(caseId), witness: person, narrative: `${SCRIPT} ${IMG}` },
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
