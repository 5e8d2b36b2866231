// The Store's account page: two-factor (TOTP) enrolment with a QR code and
// recovery codes shown once, and passkeys. Everything goes from the page to
// the identity server with the user's JWT (the SDK's enrolment calls).
import { h, log } from './shell.js';

/** Renders the account section into el. */
export async function account(client, el) {
  const methods = await client.twoFactorMethods().catch(() => []);
  const passkeys = await client.passkeys().catch(() => []);
  const tf = h('div', { id: 'two-factor' });
  const rerender = () => account(client, el);
  if (methods.length) {
    tf.append(h('p', { id: 'two-factor-status' }, `Two-factor authentication is on (${methods.map((m) => m.name || m.method).join(', ')}).`));
  } else {
    tf.append(h('p', { id: 'two-factor-status' }, 'Two-factor authentication is off.'),
      h('button', { type: 'button', id: 'enable-two-factor', onclick: () => enrol(client, tf, rerender) }, 'Enable two-factor'));
  }
  const pk = h('div', { id: 'passkey-section' },
    h('ul', { id: 'passkeys' }, passkeys.map((c) => h('li', { 'data-id': c.id }, `${c.displayName} (added ${new Date(c.insertInstant).toLocaleDateString()}) `,
      h('button', { type: 'button', class: 'small', onclick: async () => { await client.deletePasskey(c.id); rerender(); } }, 'Remove')))),
    h('button', { type: 'button', id: 'add-passkey', onclick: async () => {
      try {
        await client.registerPasskey({ displayName: 'This browser' });
        log('passkey', 'Passkey added');
      } catch (e) {
        log('error', `Passkey not added: ${e.message ?? e}`);
      }
      rerender();
    } }, 'Add a passkey'));
  el.replaceChildren(h('h2', {}, 'Your account'), h('h3', {}, 'Two-factor authentication'), tf, h('h3', {}, 'Passkeys'), pk);
}

/** The enrolment: QR code and secret, confirm with a code, recovery codes once. */
async function enrol(client, el, done) {
  const s = await client.twoFactorSecret();
  const code = h('input', { id: 'totp-code', autocomplete: 'one-time-code', inputmode: 'numeric' });
  const err = h('p', { class: 'error', role: 'alert' });
  el.replaceChildren(
    h('p', {}, 'Scan this code with your authenticator app, or type the secret.'),
    s.qrCode ? h('img', { id: 'totp-qr', src: s.qrCode, alt: 'QR code of the two-factor secret', width: '200', height: '200' }) : '',
    h('p', {}, 'Secret: ', h('code', { id: 'totp-secret' }, s.secretBase32Encoded)),
    h('form', { id: 'totp-form', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const out = await client.enableTwoFactor({ secret: s.secret, code: code.value.trim(), name: 'Authenticator app' });
        log('two-factor', 'Two-factor authentication enabled');
        el.replaceChildren(
          h('p', {}, 'Save these recovery codes now; each works once, and they will not be shown again.'),
          h('ol', { id: 'recovery-codes' }, (out.recoveryCodes ?? []).map((c) => h('li', {}, c))),
          h('button', { type: 'button', id: 'recovery-saved', onclick: done }, 'I saved them'));
      } catch (e) {
        err.textContent = e.status === 421 ? 'That code is not right; try the current one.' : e.message;
      }
    } }, h('label', {}, 'Code from the app ', code), h('button', { type: 'submit', id: 'totp-confirm' }, 'Confirm'), err));
}
