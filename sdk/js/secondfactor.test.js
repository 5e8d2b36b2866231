// Tests for the SDK's second factor, passkey and passwordless calls with a
// fake fetch and a fake navigator.credentials: node --test sdk/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, LoginError } from './latchkey.js';

const APP = '11111111-1111-4111-8111-111111111111';
const NOW = 1_700_000_000_000;
const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = `${enc({ alg: 'ES256' })}.${enc({ sub: 'u1', aud: APP, applicationId: APP, exp: NOW / 1000 + 300 })}.c2ln`;

function fakeStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

function fakeFetch(handlers) {
  const calls = [];
  const f = async (url, init = {}) => {
    const path = new URL(String(url)).pathname;
    const body = init.body ? JSON.parse(init.body) : undefined;
    calls.push({ path, init, body });
    const h = handlers[path];
    if (!h) return new Response(null, { status: 599 });
    const [status, out] = await h(body, calls.length);
    return new Response(out === undefined ? null : JSON.stringify(out), { status });
  };
  f.calls = calls;
  return f;
}

const client = (fetch, storage = fakeStorage()) =>
  createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage, fetch, locks: null, now: () => NOW });

test('login answered 242 asks for the second factor; completeTwoFactor ends the login', async () => {
  const f = fakeFetch({
    '/api/login': () => [242, { twoFactorId: 'tf-1', methods: [{ id: 'AAAA', method: 'authenticator' }] }],
    '/api/two-factor/login': (b) => (b.code === '123456' ? [200, { token, user: { id: 'u1' } }] : [421]),
  });
  const storage = fakeStorage();
  const c = client(f, storage);
  const logins = [];
  c.on('login', (d) => logins.push(d));
  const first = await c.login('alice@example.test', 'pw');
  assert.deepEqual(first, { twoFactor: { methods: [{ id: 'AAAA', method: 'authenticator' }] } });
  assert.equal(storage.getItem(`latchkey.jwt.${APP}`), null, 'no token before the second factor');
  assert.equal(logins.length, 0);
  await assert.rejects(c.completeTwoFactor('000000'), (e) => e instanceof LoginError && e.status === 421);
  const done = await c.completeTwoFactor('123456', { trustComputer: true });
  assert.equal(done.token, token);
  assert.equal(storage.getItem(`latchkey.jwt.${APP}`), token);
  const call = f.calls.find((x) => x.path === '/api/two-factor/login' && x.body.code === '123456');
  assert.deepEqual(call.body, { twoFactorId: 'tf-1', code: '123456', trustComputer: true });
  assert.equal(call.init.credentials, 'include', 'the refresh cookie is set by this answer');
  assert.equal(logins.length, 1);
  await assert.rejects(c.completeTwoFactor('123456'), /No login is waiting/);
});

test('enrolment calls carry the JWT', async () => {
  const storage = fakeStorage();
  storage.setItem(`latchkey.jwt.${APP}`, token);
  const f = fakeFetch({
    '/api/two-factor/secret': () => [200, { secret: 's', secretBase32Encoded: 'ON' }],
    '/api/user/two-factor': (b) => (b ? [200, { recoveryCodes: ['AAAAA-BBBBB'] }] : [200, { twoFactor: { methods: [] } }]),
  });
  const c = client(f, storage);
  assert.equal((await c.twoFactorSecret()).secret, 's');
  const out = await c.enableTwoFactor({ secret: 's', code: '123456' });
  assert.deepEqual(out.recoveryCodes, ['AAAAA-BBBBB']);
  assert.deepEqual(f.calls[1].body, { method: 'authenticator', secret: 's', code: '123456' });
  for (const call of f.calls) assert.equal(call.init.headers.Authorization, `Bearer ${token}`);
});

test('passkey login converts WebAuthn JSON both ways and ends like login', async () => {
  const seen = {};
  const credentials = {
    async get({ publicKey }) {
      seen.challenge = Buffer.from(publicKey.challenge).toString('base64url');
      return {
        id: 'Y3JlZA', type: 'public-key', getClientExtensionResults: () => ({}),
        response: { clientDataJSON: Buffer.from('{}'), authenticatorData: Buffer.from([1, 2]), signature: Buffer.from([3]), userHandle: Buffer.from('u1') },
      };
    },
  };
  const f = fakeFetch({
    '/api/webauthn/start': (b) => [200, { options: { challenge: 'Y2hhbGxlbmdl', rpId: 'example.test', allowCredentials: [] }, got: b }],
    '/api/webauthn/login': () => [200, { token, user: { id: 'u1' } }],
  });
  const storage = fakeStorage();
  const out = await client(f, storage).loginWithPasskey({ credentials });
  assert.equal(seen.challenge, 'Y2hhbGxlbmdl');
  assert.deepEqual(f.calls[0].body, { applicationId: APP, workflow: 'bootstrap' }, 'usernameless: no user named');
  assert.deepEqual(f.calls[1].body.credential.response, { clientDataJSON: 'e30', authenticatorData: 'AQI', signature: 'Aw', userHandle: 'dTE' });
  assert.equal(out.token, token);
  assert.equal(storage.getItem(`latchkey.jwt.${APP}`), token);
});

test('registerPasskey sends the attestation for the logged-in user', async () => {
  const storage = fakeStorage();
  storage.setItem(`latchkey.jwt.${APP}`, token);
  const credentials = {
    async create({ publicKey }) {
      assert.equal(Buffer.from(publicKey.user.id).toString(), 'u1');
      return { id: 'Y3JlZA', type: 'public-key', getClientExtensionResults: () => ({ credProps: { rk: true } }),
        response: { clientDataJSON: Buffer.from('{}'), attestationObject: Buffer.from([0xa0]), getTransports: () => ['internal'] } };
    },
  };
  const f = fakeFetch({
    '/api/webauthn/register/start': () => [200, { options: { challenge: 'AA', user: { id: 'dTE', name: 'a' }, rp: { id: 'x' } } }],
    '/api/webauthn/register/complete': (b) => [200, { credential: { id: 'c1', got: b } }],
  });
  const cred = await client(f, storage).registerPasskey({ displayName: 'Laptop', credentials });
  assert.equal(cred.id, 'c1');
  assert.deepEqual(cred.got.credential, { id: 'Y3JlZA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' },
    transports: ['internal'], clientExtensionResults: { credProps: { rk: true } } });
});

test('passwordless: start sends the login id, complete ends like login', async () => {
  const f = fakeFetch({
    '/api/passwordless/start': () => [200, {}],
    '/api/passwordless/login': (b) => (b.code === 'good' ? [200, { token, user: {} }] : [404]),
  });
  const c = client(f);
  await c.startPasswordless('alice@example.test');
  assert.deepEqual(f.calls[0].body, { applicationId: APP, loginId: 'alice@example.test' });
  await assert.rejects(c.completePasswordless('bad'), (e) => e.status === 404);
  assert.equal((await c.completePasswordless('good')).token, token);
});
