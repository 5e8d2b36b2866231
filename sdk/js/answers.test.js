// Tests for the SDK's two shared paths: the one login answer (every call
// that can end in a session answers each status the same way) and the one
// JSON API call (the account calls and the user's own two-factor and
// passkey calls: the JWT refreshed when needed, APIError on refusal), with
// a fake fetch: node --test sdk/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, LoginError, APIError } from './latchkey.js';

const APP = '11111111-1111-4111-8111-111111111111';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const key = `latchkey.jwt.${APP}`;
const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const tokenFor = (expSec, extra = {}) => `${enc({ alg: 'ES256' })}.${enc({ sub: 'u1', aud: APP, applicationId: APP, exp: expSec, ...extra })}.c2ln`;

function fakeStorage(init = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

/** A fake fetch answering "METHOD /path" from a table: [status, body, headers]. */
function fakeFetch(handlers) {
  const calls = [];
  const f = async (url, init = {}) => {
    const u = new URL(String(url));
    const method = init.method ?? 'GET';
    calls.push({ method, path: u.pathname, init, body: init.body ? JSON.parse(init.body) : undefined });
    const h = handlers[`${method} ${u.pathname}`];
    if (!h) return new Response(null, { status: 599 });
    const [status, body, headers = {}] = await h(calls.at(-1), calls.length);
    // A string body goes as it is (a proxy's HTML page), anything else as JSON.
    return new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), { status, headers });
  };
  f.calls = calls;
  f.count = (m, p) => calls.filter((c) => c.method === m && c.path === p).length;
  return f;
}

const client = (storage, fetch) =>
  createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage, fetch, locks: null, now: () => NOW });

const credentials = {
  async get() {
    return { id: 'Y3JlZA', type: 'public-key', response: { clientDataJSON: Buffer.from('{}'), authenticatorData: Buffer.from([1]), signature: Buffer.from([2]) } };
  },
};

/**
 * Each way into a session: the path its answer comes from, and how to get
 * there (a 242 first for the second step; a change of password first for
 * the one-time-password login).
 */
const entries = {
  login: { path: '/api/login', run: (c) => c.login('a@example.test', 'pw') },
  completeTwoFactor: {
    path: '/api/two-factor/login',
    before: { 'POST /api/login': () => [242, { twoFactorId: 'tf-1', methods: [{ id: 'M1', method: 'authenticator' }] }] },
    run: async (c) => { await c.login('a@example.test', 'pw'); return c.completeTwoFactor('123456'); },
  },
  loginWithPasskey: {
    path: '/api/webauthn/login',
    before: { 'POST /api/webauthn/start': () => [200, { options: { challenge: 'AA', allowCredentials: [] } }] },
    run: (c) => c.loginWithPasskey({ credentials }),
  },
  completePasswordless: { path: '/api/passwordless/login', run: (c) => c.completePasswordless('code') },
  'changePassword (one-time password)': {
    path: '/api/login',
    before: { 'POST /api/user/change-password': () => [200, { oneTimePassword: 'otp-1' }] },
    run: (c) => c.changePassword({ changePasswordId: 'cp-1', password: 'new passphrase' }),
  },
};

test('every way into a session answers every status alike', async (t) => {
  const token = tokenFor(nowSec + 60);
  const cases = [
    { status: 200, body: { token, user: { id: 'u1' }, state: { from: '/cart' } },
      check: (r, s) => { assert.equal(r.token, token); assert.deepEqual(r.state, { from: '/cart' }); assert.equal(s.getItem(key), token); } },
    { status: 242, body: { twoFactorId: 'tf-9', methods: [{ id: 'M2', method: 'email' }] },
      check: (r, s) => { assert.deepEqual(r, { twoFactor: { methods: [{ id: 'M2', method: 'email' }] } }); assert.equal(s.getItem(key), null); } },
    { status: 202, body: { token, user: {} }, error: { status: 202 } },
    { status: 203, body: { changePasswordId: 'cp-9', changePasswordReason: 'Breached' },
      error: { status: 203, details: { changePasswordId: 'cp-9', changePasswordReason: 'Breached' } } },
    { status: 212, body: { user: { id: 'u1' }, emailVerificationId: 'v-1' }, error: { status: 212, details: { user: { id: 'u1' }, emailVerificationId: 'v-1' } } },
    { status: 404, error: { status: 404 } },
    { status: 409, body: { generalErrors: [{ code: '[UserLockedException]' }] }, error: { status: 409 } },
    { status: 421, error: { status: 421, message: 'Invalid code' } },
    { status: 429, body: { generalErrors: [{ code: '[RateLimitedException]', message: 'slow down' }] }, headers: { 'retry-after': '30' },
      error: { status: 429, retryAfter: 30 } },
    { status: 500, body: { generalErrors: [] }, error: { status: 500 } },
  ];
  for (const [name, e] of Object.entries(entries)) {
    for (const tc of cases) {
      await t.test(`${name} ${tc.status}`, async () => {
        const storage = fakeStorage();
        const f = fakeFetch({ ...e.before, [`POST ${e.path}`]: (call, n) => (n === 1 && e.before?.['POST /api/login'] ? e.before['POST /api/login']() : [tc.status, tc.body, tc.headers]) });
        const c = client(storage, f);
        const logins = [];
        c.on('login', (d) => logins.push(d));
        if (!tc.error) {
          tc.check(await e.run(c), storage);
          assert.equal(logins.length, tc.status === 200 ? 1 : 0);
          assert.equal(f.calls.at(-1).init.credentials, 'include', 'the answer sets the refresh cookie');
          return;
        }
        await assert.rejects(e.run(c), (err) => {
          assert.ok(err instanceof LoginError, `${err}`);
          for (const [k, v] of Object.entries(tc.error)) assert.deepEqual(k === 'details' ? err.details : err[k], v, k);
          return true;
        });
        assert.equal(storage.getItem(key), null, 'nothing stored');
        assert.equal(logins.length, 0);
      });
    }
  }
});

test('a 404 says what was not found on each path', async () => {
  const f = fakeFetch({
    'POST /api/login': (_, n) => (n === 1 ? [242, { twoFactorId: 'tf-1', methods: [] }] : [404]),
    'POST /api/two-factor/login': () => [404],
    'POST /api/passwordless/login': () => [404],
  });
  const c = client(fakeStorage(), f);
  await c.login('a@example.test', 'pw');
  await assert.rejects(c.completeTwoFactor('123456'), /expired; log in again/);
  await assert.rejects(c.completePasswordless('x'), /unknown, used or expired/);
  await assert.rejects(c.login('a@example.test', 'bad'), /Invalid login id or password/);
});

test('a 200 ends the pending second step; sendTwoFactorCode needs one', async () => {
  const token = tokenFor(nowSec + 60);
  const f = fakeFetch({
    'POST /api/login': (_, n) => (n === 1 ? [242, { twoFactorId: 'tf/1', methods: [{ id: 'E1', method: 'email' }] }] : [200, { token, user: {} }]),
    'POST /api/two-factor/send/tf%2F1': () => [200],
  });
  const c = client(fakeStorage(), f);
  await assert.rejects(c.sendTwoFactorCode('E1'), (e) => e instanceof LoginError && e.status === 400);
  await c.login('a@example.test', 'pw');
  await c.sendTwoFactorCode('E1');
  assert.equal(f.calls[1].path, '/api/two-factor/send/tf%2F1');
  assert.deepEqual(f.calls[1].body, { methodId: 'E1' });
  await c.login('a@example.test', 'pw');
  await assert.rejects(c.completeTwoFactor('123456'), /No login is waiting/);
});

test('an authenticated call refreshes an expired JWT first, and once more on 401', async () => {
  const stale = tokenFor(nowSec - 1, { jti: 'stale' });
  const fresh = tokenFor(nowSec + 60, { jti: 'fresh' });
  const fresher = tokenFor(nowSec + 90, { jti: 'fresher' });
  let refreshes = 0;
  const f = fakeFetch({
    'POST /api/jwt/refresh': () => [200, { token: ++refreshes === 1 ? fresh : fresher }],
    'GET /api/user/two-factor': (call) => (call.init.headers.Authorization === `Bearer ${fresher}` ? [200, { twoFactor: { methods: [{ id: 'M1' }] } }] : [401]),
  });
  const storage = fakeStorage({ [key]: stale });
  const methods = await client(storage, f).twoFactorMethods();
  assert.deepEqual(methods, [{ id: 'M1' }]);
  assert.deepEqual(f.calls.map((c) => `${c.method} ${c.path}`), ['POST /api/jwt/refresh', 'GET /api/user/two-factor', 'POST /api/jwt/refresh', 'GET /api/user/two-factor']);
  assert.equal(storage.getItem(key), fresher);
});

test('an authenticated call without a session is a 401 APIError and sends nothing', async () => {
  const f = fakeFetch({});
  const c = client(fakeStorage(), f);
  for (const run of [() => c.twoFactorSecret(), () => c.passkeys(), () => c.changePassword({ currentPassword: 'a', password: 'b' })]) {
    await assert.rejects(run(), (e) => e instanceof APIError && e.status === 401 && e.message === 'Not logged in');
  }
  assert.equal(f.calls.length, 0);
});

test("the user's own calls refuse with APIError: status, FusionAuth's body, Retry-After", async () => {
  const body = { fieldErrors: { code: [{ code: '[invalid]code', message: 'The code is not right.' }] } };
  const f = fakeFetch({
    'POST /api/user/two-factor': () => [421, body],
    'DELETE /api/webauthn/c1': () => [429, { generalErrors: [{ code: '[RateLimitedException]', message: 'slow down' }] }, { 'retry-after': '7' }],
    'POST /api/passwordless/start': () => [502, '<html>bad gateway</html>'],
  });
  const c = client(fakeStorage({ [key]: tokenFor(nowSec + 60) }), f);
  await assert.rejects(c.enableTwoFactor({ secret: 's', code: '000000' }), (e) => {
    assert.ok(e instanceof APIError);
    assert.equal(e.status, 421);
    assert.deepEqual(e.body, body);
    assert.equal(e.fieldErrors.code[0].code, '[invalid]code');
    assert.equal(e.message, 'The code is not right.');
    return true;
  });
  await assert.rejects(c.deletePasskey('c1'), (e) => e instanceof APIError && e.status === 429 && e.retryAfter === 7 && e.message === 'slow down');
  await assert.rejects(c.startPasswordless('a@example.test'), (e) => e instanceof APIError && e.status === 502 && e.body === null);
});
