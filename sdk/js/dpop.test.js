// DPoP in the SDK (RFC 9449), with node's WebCrypto and no IndexedDB (the
// key lives in memory): node --test sdk/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { createClient } from './latchkey.js';

const APP = '11111111-1111-4111-8111-111111111111';
const NOW = 1_700_000_000_000;
const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims) => `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc(claims)}.c2ln`;
const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString());

/** Verifies a proof as a server would; returns {header, claims}. */
async function verifyProof(proof) {
  const [h, c, sig] = proof.split('.');
  const header = dec(h);
  assert.equal(header.typ, 'dpop+jwt');
  assert.equal(header.alg, 'ES256');
  assert.equal(header.jwk.d, undefined, 'private key material in the proof');
  const key = await webcrypto.subtle.importKey('jwk', header.jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const ok = await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(sig, 'base64url'), Buffer.from(`${h}.${c}`));
  assert.ok(ok, 'signature does not verify with the embedded jwk');
  return { header, claims: dec(c) };
}

function recorder(handlers) {
  const calls = [];
  const f = async (url, init = {}) => {
    const u = new URL(String(url));
    calls.push({ url: u, init, headers: new Headers(init.headers) });
    const [status, body] = (handlers[u.pathname] ?? (() => [200, {}]))();
    return new Response(JSON.stringify(body), { status });
  };
  f.calls = calls;
  return f;
}

function memStorage() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
}

test('dpop: login, refresh and logout carry proofs by one key; fetch binds the token', async () => {
  const bound = jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: NOW / 1000 + 60, cnf: { jkt: 'x' } });
  const expired = jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: NOW / 1000 - 1, cnf: { jkt: 'x' } });
  const f = recorder({
    '/api/login': () => [200, { token: expired, user: {} }],
    '/api/jwt/refresh': () => [200, { token: bound }],
  });
  const c = createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage: memStorage(), fetch: f,
    locks: null, now: () => NOW, dpop: true, indexedDB: null });
  await c.login('alice', 'pw');
  await c.fetch('https://store.example.test/api/load-shopping-cart?x=1');
  await c.logout();

  const [login, refresh, cart, logout] = f.calls;
  const thumbs = new Set();
  for (const [call, htm, htu] of [
    [login, 'POST', 'https://login.example.test/api/login'],
    [refresh, 'POST', 'https://login.example.test/api/jwt/refresh'],
    [cart, 'GET', 'https://store.example.test/api/load-shopping-cart'],
    [logout, 'POST', 'https://login.example.test/api/logout'],
  ]) {
    const { header, claims } = await verifyProof(call.headers.get('DPoP'));
    assert.equal(claims.htm, htm);
    assert.equal(claims.htu, htu);
    assert.equal(claims.iat, NOW / 1000);
    assert.ok(claims.jti.length >= 16);
    thumbs.add(JSON.stringify(header.jwk));
  }
  assert.equal(thumbs.size, 1, 'proofs signed by different keys');
  assert.equal(cart.headers.get('Authorization'), `DPoP ${bound}`);
  const { claims } = await verifyProof(cart.headers.get('DPoP'));
  assert.equal(claims.ath, createHash('sha256').update(bound).digest('base64url'));
  assert.equal((await verifyProof(login.headers.get('DPoP'))).claims.ath, undefined);
});

test('dpop: an unbound token still goes as Bearer without a proof', async () => {
  const plain = jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: NOW / 1000 + 60 });
  const f = recorder({ '/api/login': () => [200, { token: plain, user: {} }] });
  const c = createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage: memStorage(), fetch: f,
    locks: null, now: () => NOW, dpop: true, indexedDB: null });
  await c.login('alice', 'pw');
  await c.fetch('https://store.example.test/api/cart');
  assert.equal(f.calls[1].headers.get('Authorization'), `Bearer ${plain}`);
  assert.equal(f.calls[1].headers.get('DPoP'), null);
});

test('dpop off (default): no DPoP header anywhere', async () => {
  const f = recorder({ '/api/login': () => [200, { token: jwt({ exp: NOW / 1000 + 60 }), user: {} }] });
  const c = createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage: memStorage(), fetch: f,
    locks: null, now: () => NOW });
  await c.login('alice', 'pw');
  await c.logout();
  for (const call of f.calls) assert.equal(call.headers.get('DPoP'), null);
});

test("dpop: the user's own calls (enrolment, passkeys, change password) send the bound token with a proof for each", async () => {
  const bound = jwt({ sub: 'u1', aud: APP, applicationId: APP, exp: NOW / 1000 + 60, cnf: { jkt: 'x' } });
  const f = recorder({
    '/api/login': () => [200, { token: bound, user: {} }],
    '/api/two-factor/secret': () => [200, { secret: 's' }],
    '/api/webauthn': () => [200, { credentials: [] }],
    '/api/user/change-password': () => [200, {}],
  });
  const c = createClient({ baseURL: 'https://login.example.test', applicationId: APP, storage: memStorage(), fetch: f,
    locks: null, now: () => NOW, dpop: true, indexedDB: null });
  await c.login('alice', 'pw');
  await c.twoFactorSecret();
  await c.passkeys();
  await c.changePassword({ currentPassword: 'pw', password: 'new passphrase' });
  const ath = createHash('sha256').update(bound).digest('base64url');
  for (const [call, htm, path] of [[f.calls[1], 'GET', '/api/two-factor/secret'], [f.calls[2], 'GET', '/api/webauthn'],
    [f.calls[3], 'POST', '/api/user/change-password']]) {
    assert.equal(call.url.pathname, path);
    assert.equal(call.headers.get('Authorization'), `DPoP ${bound}`);
    const { claims } = await verifyProof(call.headers.get('DPoP'));
    assert.equal(claims.htm, htm);
    assert.equal(claims.htu, `https://login.example.test${path}`);
    assert.equal(claims.ath, ath, 'the proof is not bound to the token');
  }
});
