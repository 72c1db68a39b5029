// Enrollment with OMCT: one enrollment code (it names the server, its
// certificate and OMCT's key) and an optional proxy. The backend refuses a
// code that is not one or is mistyped, and a server whose OMCT key is not
// the one the code names; the form shows its words.
import { describe, expect, it, vi } from 'vitest';
import { useBackend } from '../lib/backend';
import { fake, fireEvent, openCase, screen, tab, type, unlocked, waitFor } from './helpers';

const NOT_A_CODE = 'this is not a Témoin enrollment code (it should start with TEMOIN1-)';
const MISTYPED = 'this enrollment code is mistyped (its checksum does not match): check it, or ask OMCT to send it again';
const ROOT_MISMATCH = "this server's OMCT key does not match your enrollment code: send nothing, and contact OMCT another way";
const CODE = 'TEMOIN1-ABCDE-FGHIJ-KLMNO-PQRST';

async function settings() {
  await unlocked({ seed: true });
  await fireEvent.click(screen.getByTestId('settings-nav'));
  await screen.findByTestId('device-info');
}

const submit = () => screen.getByTestId('enroll-submit') as HTMLButtonElement;
const codeField = () => screen.getByTestId('enroll-code') as HTMLTextAreaElement;

describe('enrollment', () => {
  it('asks for the enrollment code only (and the optional proxy)', async () => {
    await settings();
    const field = screen.getByLabelText('Enrollment code');
    expect(field).toBe(codeField());
    expect(field.tagName).toBe('TEXTAREA');
    expect(field.getAttribute('spellcheck')).toBe('false');
    expect(field.getAttribute('autocomplete')).toBe('off');
    expect(field.getAttribute('autocorrect')).toBe('off');
    expect(document.getElementById(field.getAttribute('aria-describedby') ?? '')?.textContent).toMatch(/starts with TEMOIN1-/);
    for (const gone of ['enroll-server', 'enroll-token', 'enroll-pin']) expect(screen.queryByTestId(gone)).toBeNull();
    expect(screen.getByTestId('enroll-proxy')).toBeTruthy();
    expect(submit().disabled).toBe(true);
    type('enroll-code', '   \n ');
    expect(submit().disabled).toBe(true);
    type('enroll-code', CODE);
    expect(submit().disabled).toBe(false);
  });

  it('shows the backend refusing what is not an enrollment code, and enrolls nothing', async () => {
    await settings();
    type('enroll-code', 'https://intake.omct.test');
    await fireEvent.click(submit());
    const error = await screen.findByTestId('enroll-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/not accepted/);
    expect(error.textContent).toContain(NOT_A_CODE);
    expect(codeField().getAttribute('aria-invalid')).toBe('true');
    expect(codeField().value).toBe('https://intake.omct.test');
    expect(fake.mock.calls).toContain('enroll');
    expect(screen.queryByTestId('enrolled')).toBeNull();
  });

  it('shows a mistyped code refused in the backend’s words', async () => {
    await settings();
    fake.mock.fail('enroll', 'invalid_input', MISTYPED);
    type('enroll-code', 'TEMOIN1-ABCDE-FGHIJ-KLMN0');
    await fireEvent.click(submit());
    expect((await screen.findByTestId('enroll-error')).textContent).toContain(MISTYPED);
    expect(screen.queryByTestId('enrolled')).toBeNull();
  });

  it('refuses a server whose OMCT key does not match the code', async () => {
    await settings();
    fake.mock.failEnrollKey();
    type('enroll-code', CODE);
    await fireEvent.click(submit());
    expect((await screen.findByTestId('enroll-error')).textContent).toContain(ROOT_MISMATCH);
    expect(codeField().getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByTestId('enrolled')).toBeNull();
    // The refusal was for that one call: the next one enrolls.
    await fireEvent.click(submit());
    await screen.findByTestId('enrolled');
    expect(screen.queryByTestId('enroll-error')).toBeNull();
  });

  it('enrolls with a good code, in any case and across lines, through the proxy given', async () => {
    await settings();
    const enroll = vi.fn(fake.enroll);
    useBackend({ ...fake, enroll });
    try {
      type('enroll-code', '  temoin1-abcde-fghij\nklmno-pqrst \n');
      type('enroll-proxy', ' socks5h://127.0.0.1:9050 ');
      await fireEvent.click(submit());
      await screen.findByTestId('enrolled');
      expect(enroll).toHaveBeenCalledWith('temoin1-abcde-fghij\nklmno-pqrst', 'socks5h://127.0.0.1:9050');
      const info = screen.getByTestId('device-info').textContent ?? '';
      expect(info).toContain('https://intake.omct.test');
      expect(info).toContain('socks5h://127.0.0.1:9050');
      expect(codeField().value).toBe('');
      expect(screen.getByText('This computer is now enrolled.')).toBeTruthy();
      expect(screen.queryByTestId('enroll-error')).toBeNull();
    } finally {
      useBackend(fake);
    }
  });

  it('tells a device enrolled before codes to enroll again', async () => {
    await unlocked({ seed: true, enrolled: true });
    await openCase('Arrest of three students, May 2024');
    await tab('handover');
    const again =
      "this device was enrolled without an enrollment code, so OMCT's key was never checked: ask OMCT for an enrollment code and enroll again in Settings";
    fake.mock.fail('caseSubmit', 'not_enrolled', again);
    await fireEvent.click(screen.getByTestId('submit-case'));
    const error = await screen.findByTestId('submit-error');
    expect(error.textContent).toMatch(/enroll again with an enrollment code/);
    expect(error.textContent).toContain(again);
    await waitFor(() => expect(screen.getByTestId('outbox-status').getAttribute('data-status')).toBe('none'));
  });
});
