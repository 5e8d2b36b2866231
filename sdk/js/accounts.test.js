// Tests for the SDK's account calls (sign-up, forgot and change password,
// email verification) and the login answers that withhold tokens, with a
// fake fetch: node --test sdk/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, LoginError, APIError } from './latchkey.js';

const APP = '11111111-1111-4111-8111-111111111111';
const NOW = 1_700_000_000_000;
const nowSec = NOW / 1000;
const key = `latchkey.jwt.${APP}`;

function jwt(claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc(claims)}.c2ln`;
}
const tokenFor = (expSec) => jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: expSec });

function fakeStorage(init = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

/** A fake fetch answering "METHOD /path" from a table; records every call. */
function fakeFetch(handlers) {
  const calls = [];
  const f = async (url, init = {}) => {
    const u = new URL(String(url));
    const method = init.method ?? 'GET';
    calls.push({ method, path: u.pathname, query: u.searchParams, init, body: init.body ? JSON.parse(init.body) : undefined });
    const h = handlers[`${method} ${u.pathname}`];
    if (!h) return new Response(null, { status: 599 });
    const [status, body, headers = {}] = await h(calls.at(-1));
    return new Response(body === undefined ? null : JSON.stringify(body),
      { status, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } });
  };
  f.calls = calls;
  return f;
}

const client = (storage, fetch) =>
  createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage, fetch, locks: null, now: () => NOW });

test('signUp posts the user with this application and no API key', async () => {
  const f = fakeFetch({ 'POST /api/user/registration': () => [200, { user: { id: 'u1' }, registration: { applicationId: APP } }] });
  const res = await client(fakeStorage(), f).signUp({ email: 'a@example.test', password: 'long passphrase', firstName: 'A' });
  assert.equal(res.user.id, 'u1');
  const c = f.calls[0];
  assert.deepEqual(c.body, { user: { email: 'a@example.test', password: 'long passphrase', firstName: 'A' }, registration: { applicationId: APP } });
  assert.equal(c.init.headers.Authorization, undefined);
});

test("signUp's refusal is an APIError with FusionAuth's field errors", async () => {
  const body = { fieldErrors: { 'user.password': [{ code: '[tooShort]user.password', message: 'The [user.password] must be at least [8] characters long.' }] } };
  const f = fakeFetch({ 'POST /api/user/registration': () => [400, body] });
  await assert.rejects(client(fakeStorage(), f).signUp({ email: 'a@example.test', password: 'x' }), (e) => {
    assert.ok(e instanceof APIError);
    assert.equal(e.status, 400);
    assert.equal(e.fieldErrors['user.password'][0].code, '[tooShort]user.password');
    assert.match(e.message, /at least \[8\]/);
    return true;
  });
});

test('forgotPassword names the application and the state; a 429 carries Retry-After', async () => {
  let n = 0;
  const f = fakeFetch({ 'POST /api/user/forgot-password': () => (++n === 1 ? [200] : [429, { generalErrors: [{ code: '[RateLimitedException]', message: 'slow down' }] }, { 'retry-after': '42' }]) });
  const c = client(fakeStorage(), f);
  await c.forgotPassword('a@example.test', { from: '/cart' });
  assert.deepEqual(f.calls[0].body, { loginId: 'a@example.test', applicationId: APP, state: { from: '/cart' } });
  await assert.rejects(c.forgotPassword('a@example.test'), (e) => e instanceof APIError && e.status === 429 && e.retryAfter === 42);
});

test('changePassword with a changePasswordId logs in with the one-time password', async () => {
  const token = tokenFor(nowSec + 60);
  const f = fakeFetch({
    'POST /api/user/change-password': () => [200, { oneTimePassword: 'otp-1', state: { from: '/cart' } }],
    'POST /api/login': () => [200, { token, user: { id: 'u1' }, state: { from: '/cart' } }],
  });
  const storage = fakeStorage();
  const c = client(storage, f);
  const events = [];
  c.on('login', (d) => events.push(d));
  const res = await c.changePassword({ changePasswordId: 'cp-1', password: 'new passphrase' });
  assert.deepEqual(f.calls[0].body, { changePasswordId: 'cp-1', password: 'new passphrase', applicationId: APP });
  assert.equal(f.calls[0].init.headers.Authorization, undefined, 'no JWT with an id');
  assert.deepEqual(f.calls[1].body, { oneTimePassword: 'otp-1', applicationId: APP });
  assert.equal(f.calls[1].init.credentials, 'include', 'the new refresh cookie is set');
  assert.equal(storage.getItem(key), token);
  assert.deepEqual(res.state, { from: '/cart' });
  assert.equal(events.length, 1);
});

test('changePassword as the logged-in user sends the JWT and the current password', async () => {
  const old = tokenFor(nowSec + 60);
  const fresh = tokenFor(nowSec + 90);
  const f = fakeFetch({
    'POST /api/user/change-password': () => [200, { oneTimePassword: 'otp-2' }],
    'POST /api/login': () => [200, { token: fresh, user: {} }],
  });
  const storage = fakeStorage({ [key]: old });
  await client(storage, f).changePassword({ currentPassword: 'old one', password: 'new one!' });
  assert.equal(f.calls[0].init.headers.Authorization, `Bearer ${old}`);
  assert.equal(f.calls[0].init.credentials, 'include', 'the refresh cookie goes along so the session continues');
  assert.deepEqual(f.calls[0].body, { currentPassword: 'old one', password: 'new one!', applicationId: APP });
  assert.equal(storage.getItem(key), fresh);
});

test('changePassword of a user with a second factor sends the trustToken and its challenge', async () => {
  const f = fakeFetch({
    'POST /api/user/change-password': () => [400, { generalErrors: [{ code: '[TrustTokenRequired]' }] }],
  });
  const c = client(fakeStorage(), f);
  await assert.rejects(c.changePassword({ changePasswordId: 'cp-2', password: 'new passphrase' }),
    (e) => e instanceof APIError && e.status === 400 && e.body.generalErrors[0].code === '[TrustTokenRequired]');
  assert.deepEqual(f.calls[0].body, { changePasswordId: 'cp-2', password: 'new passphrase', applicationId: APP });
  await assert.rejects(c.changePassword({ changePasswordId: 'cp-2', password: 'new passphrase', trustToken: 'tt-1', trustChallenge: 'ch-1' }));
  assert.deepEqual(f.calls[1].body, { changePasswordId: 'cp-2', password: 'new passphrase', applicationId: APP, trustToken: 'tt-1', trustChallenge: 'ch-1' });
});

test('a wrong current password rejects and keeps the session', async () => {
  const old = tokenFor(nowSec + 60);
  const f = fakeFetch({ 'POST /api/user/change-password': () => [404] });
  const storage = fakeStorage({ [key]: old });
  await assert.rejects(client(storage, f).changePassword({ currentPassword: 'nope', password: 'new one!' }), (e) => e instanceof APIError && e.status === 404);
  assert.equal(storage.getItem(key), old);
  assert.equal(f.calls.length, 1);
});

test('login answers 203 and 212 as LoginErrors with what to do next, and stores nothing', async (t) => {
  for (const [status, body] of [[203, { changePasswordId: 'cp-9', changePasswordReason: 'Expired' }], [212, { user: { id: 'u1' }, emailVerificationId: 'v-1' }]]) {
    await t.test(String(status), async () => {
      const storage = fakeStorage();
      const f = fakeFetch({ 'POST /api/login': () => [status, body] });
      await assert.rejects(client(storage, f).login('a@example.test', 'pw'), (e) => {
        assert.ok(e instanceof LoginError);
        assert.equal(e.status, status);
        assert.deepEqual(e.details, body);
        return true;
      });
      assert.equal(storage.getItem(key), null);
    });
  }
});

test('verifyEmail, resendVerification, checkChangePasswordId and passwordRules', async () => {
  const f = fakeFetch({
    'POST /api/user/verify-email': () => [200],
    'PUT /api/user/verify-email': () => [200],
    'GET /api/user/change-password/good': () => [200],
    'GET /api/user/change-password/used': () => [404],
    'GET /api/tenant/password-validation-rules': () => [200, { passwordValidationRules: { minLength: 8 } }],
  });
  const c = client(fakeStorage(), f);
  await c.verifyEmail('v-1', 'ABC123');
  assert.deepEqual(f.calls[0].body, { verificationId: 'v-1', oneTimeCode: 'ABC123' });
  await c.resendVerification('a@example.test');
  assert.equal(f.calls[1].query.get('email'), 'a@example.test');
  assert.equal(f.calls[1].query.get('applicationId'), APP);
  assert.equal(await c.checkChangePasswordId('good'), true);
  assert.equal(await c.checkChangePasswordId('used'), false);
  assert.deepEqual(await c.passwordRules(), { minLength: 8 });
});
