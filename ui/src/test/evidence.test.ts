import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../lib/backend';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const TITLE = 'Arrest of three students, May 2024';

describe('evidence', () => {
  it('imports a file by path, shows progress, its thumbnail and its GPS position', async () => {
    await unlocked({ seed: true });
    await openCase('Disappearance of a lawyer');
    await tab('evidence');
    type('evidence-path', '/home/me/photo-gps.jpg');
    await fireEvent.click(screen.getByTestId('evidence-path-submit'));
    await screen.findByText(/1 file added/);
    const thumb = await screen.findByTestId('evidence-thumb');
    await waitFor(() => expect(thumb.querySelector('img')?.getAttribute('src')).toMatch(/^data:image\//));
    await fireEvent.click(thumb);
    const meta = await screen.findByTestId('evidence-meta');
    expect(meta.textContent).toContain('36.806500, 10.181500');
    expect(meta.textContent).toMatch(/[0-9a-f]{64}/);
    expect(meta.textContent).toContain('Canon EOS 2000D');
    expect(screen.getByText(/records where it was taken/)).toBeTruthy();
  });

  it('imports through the file dialog and by drag-and-drop, and reports a failed file', async () => {
    await unlocked({ seed: true });
    await openCase('Disappearance of a lawyer');
    await tab('evidence');
    fake.mock.pickFilesNext(['/a/one.jpg', '/a/missing.pdf']);
    fake.mock.cannotRead('/a/missing.pdf');
    await fireEvent.click(screen.getByTestId('evidence-import'));
    await screen.findByText(/1 file added/);
    expect(screen.getByText(/missing\.pdf was not added/)).toBeTruthy();
    fake.mock.dragDrop({ type: 'enter', paths: ['/b/two.png'], position: null });
    await screen.findByText(/Release to add/);
    fake.mock.dragDrop({ type: 'drop', paths: ['/b/two.png'], position: null });
    await waitFor(() => expect(screen.getAllByTestId('evidence-thumb')).toHaveLength(2));
  });

  it('makes a redacted copy with the keyboard and keeps the original', async () => {
    const evidenceRedact = vi.fn(fake.evidenceRedact);
    useBackend({ ...fake, evidenceRedact });
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('evidence');
    await fireEvent.click(await screen.findByTestId('evidence-thumb'));
    await screen.findByText(/The original stays in the vault/);
    await screen.findByAltText('Preview of the picture');
    await fireEvent.click(screen.getByTestId('redact-add-region'));
    const region = await screen.findByTestId('redact-region');
    await waitFor(() => expect(document.activeElement).toBe(region));
    await fireEvent.keyDown(region, { key: 'ArrowRight' });
    await fireEvent.keyDown(region, { key: 'ArrowDown', shiftKey: true });
    expect(region.getAttribute('aria-label')).toMatch(/37% across and 35% down, 30% wide and 32% high/);
    await fireEvent.click(screen.getByLabelText('Blur'));
    await fireEvent.click(screen.getByTestId('redact-create'));
    await waitFor(() => expect(evidenceRedact).toHaveBeenCalledTimes(1));
    const [id, regions, cover, strip] = evidenceRedact.mock.calls[0];
    expect(typeof id).toBe('string');
    expect(regions).toHaveLength(1);
    expect(regions[0].x).toBeCloseTo(0.37, 6);
    expect(regions[0].h).toBeCloseTo(0.32, 6);
    expect(cover).toBe('blur');
    expect(strip).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('evidence-thumb')).toHaveLength(2));
    const meta = await screen.findByTestId('evidence-meta');
    expect(meta.textContent).toMatch(/Working copy/);
    expect(meta.textContent).not.toMatch(/36\.8/);
    useBackend(fake);
  });

  it('removes a region with the Delete key', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('evidence');
    await fireEvent.click(await screen.findByTestId('evidence-thumb'));
    await screen.findByAltText('Preview of the picture');
    await fireEvent.click(screen.getByTestId('redact-add-region'));
    await fireEvent.keyDown(await screen.findByTestId('redact-region'), { key: 'Delete' });
    expect(screen.queryByTestId('redact-region')).toBeNull();
  });

  it('shows the custody log with its verification', async () => {
    await unlocked({ seed: true });
    await openCase(TITLE);
    await tab('custody');
    await screen.findByTestId('custody-verified');
    expect(screen.getAllByRole('row').length).toBeGreaterThan(2);
    fake.mock.breakCustody(['entry 3: the hash chain is broken']);
    await fireEvent.click(screen.getByText('Refresh'));
    const bad = await screen.findByTestId('custody-unverified');
    expect(bad.textContent).toContain('entry 3: the hash chain is broken');
  });
});
