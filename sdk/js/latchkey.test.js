// Tests for the browser SDK with a fake fetch, fake storage and a fixed clock:
// node --test sdk/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, decodeJWT } from './latchkey.js';

const APP = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const NOW = 1_700_000_000_000;

/** An unsigned JWT-shaped string: the SDK never verifies signatures. */
function jwt(claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc(claims)}.c2ln`;
}
const tokenFor = (expSec, extra = {}) => jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: expSec, ...extra });

function fakeStorage(init = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k), m };
}

/** A fake fetch answering by path from a handler table; records every call. */
function fakeFetch(handlers) {
  const calls = [];
  const f = async (url, init = {}) => {
    const path = new URL(String(url), 'http://x').pathname;
    calls.push({ path, init });
    const h = handlers[path];
    if (!h) return new Response(null, { status: 599 });
    const [status, body] = await h(init, calls.length);
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  f.calls = calls;
  f.count = (p) => calls.filter((c) => c.path === p).length;
  return f;
}

const key = `latchkey.jwt.${APP}`;
const nowSec = NOW / 1000;
const client = (storage, fetch, extra = {}) =>
  createClient({ baseURL: 'https://login.example.test/', applicationId: APP, storage, fetch, locks: null, now: () => NOW, leewaySeconds: 5, ...extra });

test('expiry decision', async (t) => {
  const cases = [
    { name: 'valid well before exp: no network', stored: tokenFor(nowSec + 60), refreshes: 0 },
    { name: 'inside the leeway: refreshes early', stored: tokenFor(nowSec + 4), refreshes: 1 },
    { name: 'expired: refreshes', stored: tokenFor(nowSec - 1), refreshes: 1 },
    { name: 'malformed token: refreshes', stored: 'not-a-jwt', refreshes: 1 },
    { name: "another app's valid token under our key: refreshes", stored: jwt({ aud: OTHER, applicationId: OTHER, exp: nowSec + 60 }), refreshes: 1 },
    { name: 'aud ours but not registered (no applicationId): refreshes', stored: jwt({ aud: APP, exp: nowSec + 60 }), refreshes: 1 },
    { name: 'applicationId ours but aud another: refreshes', stored: jwt({ aud: OTHER, applicationId: APP, exp: nowSec + 60 }), refreshes: 1 },
    { name: 'nothing stored: no refresh, no session', stored: null, refreshes: 0, want: null },
  ];
  for (const tc of cases) {
    await t.test(tc.name, async () => {
      const fresh = tokenFor(nowSec + 30, { jti: 'new' });
      const storage = fakeStorage(tc.stored ? { [key]: tc.stored } : {});
      const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: fresh, refreshToken: 'r2' }] });
      const got = await client(storage, f).getToken();
      assert.equal(f.count('/api/jwt/refresh'), tc.refreshes);
      if ('want' in tc) assert.equal(got, tc.want);
      else assert.equal(got, tc.refreshes ? fresh : tc.stored);
    });
  }
});

test('refresh sends the cookie, stores the new JWT and emits refresh', async () => {
  const fresh = tokenFor(nowSec + 30);
  const storage = fakeStorage({ [key]: tokenFor(nowSec - 10) });
  const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: fresh }] });
  const c = client(storage, f);
  const events = [];
  c.on('refresh', (d) => events.push(d));
  assert.equal(await c.getToken(), fresh);
  assert.equal(storage.getItem(key), fresh);
  assert.equal(f.calls[0].init.credentials, 'include');
  assert.equal(f.calls[0].init.method, 'POST');
  // The stale JWT names the session, should several refresh cookies arrive.
  assert.deepEqual(JSON.parse(f.calls[0].init.body), { token: tokenFor(nowSec - 10) });
  assert.equal(events.length, 1);
  assert.equal(events[0].expiresAt.getTime(), (nowSec + 30) * 1000);
});

test('refresh refusal ends the session', async (t) => {
  const cases = [
    { name: '404 (latchkey, workflow step 11)', answer: [404] },
    { name: '404 no session presented (cookie expired)', answer: [404, { fieldErrors: { refreshToken: [{ code: '[blank]refreshToken' }] } }] },
    { name: 'token without applicationId (not registered)', answer: [200, { token: jwt({ aud: APP, exp: nowSec + 30 }) }] },
    { name: '400 (FusionAuth)', answer: [400, { fieldErrors: {} }] },
    { name: 'token for another application', answer: [200, { token: jwt({ aud: OTHER, applicationId: OTHER, exp: nowSec + 30 }) }] },
  ];
  for (const tc of cases) {
    await t.test(tc.name, async () => {
      const storage = fakeStorage({ [key]: tokenFor(nowSec - 10) });
      const f = fakeFetch({ '/api/jwt/refresh': () => tc.answer });
      const c = client(storage, f);
      const ended = [];
      c.on('session-end', (d) => ended.push(d));
      assert.equal(await c.getToken(), null);
      assert.equal(storage.getItem(key), null, 'the stale JWT is removed');
      assert.equal(ended.length, 1);
    });
  }
});

test('server error on refresh throws and keeps the session', async () => {
  const stale = tokenFor(nowSec - 10);
  const storage = fakeStorage({ [key]: stale });
  const c = client(storage, fakeFetch({ '/api/jwt/refresh': () => [500] }));
  await assert.rejects(c.getToken(), /status 500/);
  assert.equal(storage.getItem(key), stale);
});

test('single flight: concurrent getToken calls share one refresh', async (t) => {
  for (const mode of ['in-tab promise', 'web locks']) {
    await t.test(mode, async () => {
      const fresh = tokenFor(nowSec + 30);
      let release;
      const gate = new Promise((r) => { release = r; });
      const storage = fakeStorage({ [key]: tokenFor(nowSec - 10) });
      const f = fakeFetch({ '/api/jwt/refresh': async () => { await gate; return [200, { token: fresh }]; } });
      // A minimal exclusive lock manager, as navigator.locks behaves.
      let tail = Promise.resolve();
      const locks = { request: (_name, cb) => { const run = tail.then(cb); tail = run.catch(() => {}); return run; } };
      const c = client(storage, f, { locks: mode === 'web locks' ? locks : null });
      const all = Promise.all(Array.from({ length: 10 }, () => c.getToken()));
      release();
      const got = await all;
      assert.equal(f.count('/api/jwt/refresh'), 1);
      assert.ok(got.every((g) => g === fresh));
    });
  }
});

test('after the lock, a token another tab stored is used without refreshing', async () => {
  const stale = tokenFor(nowSec - 10);
  const byOtherTab = tokenFor(nowSec + 30, { jti: 'other-tab' });
  const storage = fakeStorage({ [key]: stale });
  // The other tab holds the lock and refreshes; we get the lock afterwards.
  const locks = { request: async (_n, cb) => { storage.setItem(key, byOtherTab); return cb(); } };
  const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: tokenFor(nowSec + 30) }] });
  assert.equal(await client(storage, f, { locks }).getToken(), byOtherTab);
  assert.equal(f.count('/api/jwt/refresh'), 0);
});

/**
 * One browser's lock manager as navigator.locks behaves: exclusive per name,
 * FIFO, ifAvailable, and query() listing the held locks.
 */
function browserLocks() {
  const tails = new Map();
  const held = new Set();
  return {
    request(name, a, b) {
      const [opts, cb] = typeof a === 'function' ? [{}, a] : [a, b];
      if (opts.ifAvailable && (held.has(name) || tails.has(name))) return Promise.resolve().then(() => cb(null));
      const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
        held.add(name);
        try { return await cb({ name }); } finally { held.delete(name); }
      });
      const tail = run.catch(() => {});
      tails.set(name, tail);
      tail.then(() => { if (tails.get(name) === tail) tails.delete(name); });
      return run;
    },
    query: async () => ({ held: [...held].map((name) => ({ name })) }),
  };
}

test("a tab that gets the lock before another tab's new JWT reaches its localStorage waits for it", async () => {
  const stale = tokenFor(nowSec - 10);
  const first = tokenFor(nowSec + 30, { jti: 'first' });
  // Tab A's localStorage, and tab B's own copy of it, which learns of A's
  // writes only when propagate() runs (Chromium's renderers each keep one).
  const a = fakeStorage({ [key]: stale });
  const bCopy = fakeStorage({ [key]: stale });
  const propagate = () => bCopy.setItem(key, a.getItem(key));
  let n = 0;
  const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: n++ === 0 ? first : tokenFor(nowSec + 30, { jti: `again-${n}` }) }] });
  const locks = browserLocks();
  const tabA = client(a, f, { locks });
  const tabB = client(bCopy, f, { locks });
  const refreshedInB = [];
  tabB.on('refresh', (d) => refreshedInB.push(d));
  const gotA = tabA.getToken();
  const gotB = tabB.getToken();
  setTimeout(propagate, 100); // after B holds the lock and finds the stale JWT
  assert.deepEqual(await Promise.all([gotA, gotB]), [first, first]);
  assert.equal(f.count('/api/jwt/refresh'), 1, 'one refresh for both tabs: B did not rotate the cookie again');
  assert.deepEqual(refreshedInB, []);
});

test("a tab whose JWT nobody refreshed does not wait, even beside another JWT's marker", async () => {
  const stale = tokenFor(nowSec - 10);
  const fresh = tokenFor(nowSec + 30, { jti: 'fresh' });
  const storage = fakeStorage({ [key]: stale });
  let reads = 0;
  const getItem = storage.getItem;
  storage.getItem = (k) => { reads++; return getItem(k); };
  const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: fresh }] });
  const locks = browserLocks();
  // Another tab refreshed from another JWT: its marker names that one.
  const other = tokenFor(nowSec - 20, { jti: 'other' });
  await new Promise((held) => {
    locks.request(`latchkey-refresh:${APP}:from:${other.slice(-24)}`, { ifAvailable: true }, () => {
      held(undefined);
      return new Promise(() => {}); // held for the test's life
    });
  });
  assert.equal(await client(storage, f, { locks }).getToken(), fresh);
  assert.equal(f.count('/api/jwt/refresh'), 1);
  // Waiting would poll localStorage every 20 ms; without it the JWT is read
  // once to decide and once under the lock.
  assert.ok(reads <= 2, `localStorage read ${reads} times: the tab waited for a change nobody is making`);
});

test('a lock manager that refuses the marker does not fail the refresh', async () => {
  const stale = tokenFor(nowSec - 10);
  const fresh = tokenFor(nowSec + 30, { jti: 'fresh' });
  const storage = fakeStorage({ [key]: stale });
  const f = fakeFetch({ '/api/jwt/refresh': () => [200, { token: fresh }] });
  // query, but a request that only knows (name, cb) and throws on options.
  let tail = Promise.resolve();
  const locks = {
    request: (_n, cb) => {
      if (typeof cb !== 'function') throw new TypeError('options are not supported');
      const run = tail.then(cb); tail = run.catch(() => {}); return run;
    },
    query: async () => ({ held: [] }),
  };
  const c = client(storage, f, { locks });
  const events = [];
  c.on('refresh', (d) => events.push(d));
  assert.equal(await c.getToken(), fresh);
  assert.equal(events.length, 1);
  assert.equal(storage.getItem(key), fresh);
});

test('fetch wrapper', async (t) => {
  const good = tokenFor(nowSec + 60, { jti: 'good' });
  const fresh = tokenFor(nowSec + 60, { jti: 'fresh' });
  const cases = [
    { name: 'adds bearer, no retry on 200', cart: [200], wantStatus: 200, cartCalls: 1, refreshes: 0 },
    { name: '401 then refresh and retry once', cart: [401, 200], wantStatus: 200, cartCalls: 2, refreshes: 1, retryBearer: fresh },
    { name: '401 twice: retries only once', cart: [401, 401], wantStatus: 401, cartCalls: 2, refreshes: 1 },
    { name: '401 and refresh 404: no retry', cart: [401], refresh404: true, wantStatus: 401, cartCalls: 1, refreshes: 1 },
  ];
  for (const tc of cases) {
    await t.test(tc.name, async () => {
      const storage = fakeStorage({ [key]: good });
      let i = 0;
      const f = fakeFetch({
        '/api/cart': () => [tc.cart[i++] ?? 500, {}],
        '/api/jwt/refresh': () => (tc.refresh404 ? [404] : [200, { token: fresh }]),
      });
      const res = await client(storage, f).fetch('https://store.example.test/api/cart', { headers: { Accept: 'application/json' } });
      assert.equal(res.status, tc.wantStatus);
      assert.equal(f.count('/api/cart'), tc.cartCalls);
      assert.equal(f.count('/api/jwt/refresh'), tc.refreshes);
      const cartCalls = f.calls.filter((c) => c.path === '/api/cart');
      assert.equal(cartCalls[0].init.headers.get('Authorization'), `Bearer ${good}`);
      assert.equal(cartCalls[0].init.headers.get('Accept'), 'application/json', 'caller headers kept');
      if (tc.retryBearer) assert.equal(cartCalls[1].init.headers.get('Authorization'), `Bearer ${tc.retryBearer}`);
    });
  }
});

test('login stores the JWT and emits login; failures throw and store nothing', async (t) => {
  const tok = tokenFor(nowSec + 30);
  const cases = [
    { name: '200', answer: [200, { token: tok, user: { email: 'richard@example.com' } }], ok: true },
    { name: '404 wrong password', answer: [404], status: 404 },
    { name: '202 not registered', answer: [202, { user: {} }], status: 202 },
    { name: '423 locked', answer: [423], status: 423 },
  ];
  for (const tc of cases) {
    await t.test(tc.name, async () => {
      const storage = fakeStorage();
      const f = fakeFetch({ '/api/login': () => tc.answer });
      const c = client(storage, f);
      const events = [];
      c.on('login', (d) => events.push(d));
      if (tc.ok) {
        const d = await c.login('richard@example.com', 'password');
        assert.equal(d.user.email, 'richard@example.com');
        assert.equal(storage.getItem(key), tok);
        assert.equal(events.length, 1);
      } else {
        await assert.rejects(c.login('richard@example.com', 'bad'), (e) => e.status === tc.status);
        assert.equal(storage.getItem(key), null);
        assert.equal(events.length, 0);
      }
      const sent = f.calls[0];
      assert.equal(sent.init.credentials, 'include');
      assert.deepEqual(JSON.parse(sent.init.body), { loginId: 'richard@example.com', password: tc.ok ? 'password' : 'bad', applicationId: APP });
    });
  }
});

test('logout clears the JWT even when the network fails', async () => {
  const storage = fakeStorage({ [key]: tokenFor(nowSec + 30) });
  const c = client(storage, async () => { throw new TypeError('network down'); });
  let out = 0;
  c.on('logout', () => out++);
  await assert.rejects(c.logout());
  assert.equal(storage.getItem(key), null);
  assert.equal(out, 1);
});

test('decodeJWT rejects garbage', () => {
  for (const bad of [null, '', 'a.b', 'a.!!!.c', `a.${Buffer.from('"str"').toString('base64url')}.c`]) {
    assert.equal(decodeJWT(bad), null, String(bad));
  }
  assert.equal(decodeJWT(tokenFor(5)).exp, 5);
});
