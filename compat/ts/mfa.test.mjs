// FusionAuth's TypeScript client, unchanged, against latchkey's two-factor,
// WebAuthn and passwordless APIs (issue 10). TOTP codes are computed here
// with node's HMAC (RFC 6238), and passkeys are answered by a small
// software authenticator written here (P-256, CBOR by hand), so neither
// comes from latchkey's own code. Run through ts_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { FusionAuthClient, env, rejected } from './env.mjs';

const url = env('LATCHKEY_URL');
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), url);
const anon = new FusionAuthClient(null, url);
const tenantId = env('LATCHKEY_TENANT_ID');
const origin = 'https://app.example.test';
const rpId = 'example.test';
const password = 'correct horse battery staple';

// RFC 6238 with FusionAuth's key: the bytes of the secret string.
function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const h = crypto.createHmac('sha1', Buffer.from(secret, 'utf8')).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

// Minimal CBOR (RFC 8949) for what an authenticator sends: maps, text,
// byte strings, small integers.
function cbor(v) {
  const head = (major, n) => (n < 24 ? Buffer.from([(major << 5) | n]) : n < 256 ? Buffer.from([(major << 5) | 24, n]) : Buffer.from([(major << 5) | 25, n >> 8, n & 255]));
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  const entries = v instanceof Map ? [...v] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

class Authenticator {
  constructor() {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
    this.id = crypto.randomBytes(16);
    this.count = 0;
  }
  authData(attested) {
    const flags = 0x01 | 0x04 | (attested ? 0x40 : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.count);
    const parts = [crypto.createHash('sha256').update(rpId).digest(), Buffer.from([flags]), count];
    if (attested) parts.push(Buffer.alloc(16), Buffer.from([0, this.id.length]), this.id, this.cose);
    return Buffer.concat(parts);
  }
  clientData(type, challenge) { return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })); }
  create(options) {
    this.user = Buffer.from(options.user.id, 'base64url');
    const att = cbor({ fmt: 'none', attStmt: {}, authData: this.authData(true) });
    return { id: this.id.toString('base64url'), type: 'public-key', clientExtensionResults: { credProps: { rk: true } },
      response: { attestationObject: att.toString('base64url'), clientDataJSON: this.clientData('webauthn.create', options.challenge).toString('base64url') } };
  }
  get(options) {
    this.count++;
    const ad = this.authData(false);
    const cd = this.clientData('webauthn.get', options.challenge);
    const sig = crypto.sign('sha256', Buffer.concat([ad, crypto.createHash('sha256').update(cd).digest()]), this.key);
    return { id: this.id.toString('base64url'), type: 'public-key', clientExtensionResults: {},
      response: { authenticatorData: ad.toString('base64url'), clientDataJSON: cd.toString('base64url'),
        signature: sig.toString('base64url'), userHandle: this.user.toString('base64url') } };
  }
}

const s = {};

test('two-factor, WebAuthn and passwordless through the TypeScript client', async (t) => {
  await t.test('setup: an application with passwordless and an origin, WebAuthn on, a user', async () => {
    const app = await admin.createApplication(null, { application: { name: 'mfa-compat',
      loginConfiguration: { requireAuthentication: false, allowTokenRefresh: true, generateRefreshTokens: true },
      oauthConfiguration: { authorizedOriginURLs: [origin] }, passwordlessConfiguration: { enabled: true },
      roles: [{ name: 'user', isDefault: true }] } });
    s.appId = app.response.application.id;
    const w = { enabled: true, userVerificationRequirement: 'required' };
    const tenant = await admin.patchTenant(tenantId, { tenant: { webAuthnConfiguration: {
      enabled: true, relyingPartyId: rpId, bootstrapWorkflow: w, reauthenticationWorkflow: w } } });
    assert.equal(tenant.statusCode, 200);
    s.email = `mfa.${Date.now()}@example.com`;
    const reg = await admin.register(null, { user: { email: s.email, password }, registration: { applicationId: s.appId } });
    s.userId = reg.response.user.id;
  });

  await t.test('generateTwoFactorSecret, enableTwoFactor: recovery codes once', async () => {
    const sec = await admin.generateTwoFactorSecret();
    assert.equal(sec.statusCode, 200);
    assert.equal(sec.response.secret.length, 20);
    s.secret = sec.response.secret;
    const res = await admin.enableTwoFactor(s.userId, { method: 'authenticator', secret: s.secret, code: totp(s.secret) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.recoveryCodes.length, 10);
    s.recovery = res.response.recoveryCodes;
    const wrong = await rejected(admin.enableTwoFactor(s.userId, { method: 'authenticator', secret: 'ANOTHERSECRETVALUE12', code: '000000' }));
    assert.equal(wrong.statusCode, 421);
  });

  await t.test('login answers 242; twoFactorLogin issues the tokens', async () => {
    const res = await anon.login({ loginId: s.email, password, applicationId: s.appId });
    assert.equal(res.statusCode, 242);
    assert.equal(res.response.token, undefined);
    assert.equal(res.response.methods[0].method, 'authenticator');
    const bad = await rejected(anon.twoFactorLogin({ twoFactorId: res.response.twoFactorId, code: '000000' }));
    assert.equal(bad.statusCode, 421);
    const ok = await anon.twoFactorLogin({ twoFactorId: res.response.twoFactorId, code: totp(s.secret, Date.now() + 30000), trustComputer: true });
    assert.equal(ok.statusCode, 200);
    assert.ok(ok.response.token && ok.response.refreshToken && ok.response.twoFactorTrustId);
    const again = await rejected(anon.twoFactorLogin({ twoFactorId: res.response.twoFactorId, code: s.recovery[0] }));
    assert.equal(again.statusCode, 404, 'a twoFactorId is single use');
    s.trust = ok.response.twoFactorTrustId;
  });

  await t.test('retrieveTwoFactorStatus: 242 without the trust, 200 with it; user.twoFactor.methods', async () => {
    const none = await admin.retrieveTwoFactorStatus(s.userId, s.appId, undefined);
    assert.equal(none.statusCode, 242);
    const trusted = await admin.retrieveTwoFactorStatus(s.userId, s.appId, s.trust);
    assert.equal(trusted.statusCode, 200);
    assert.equal(trusted.response.twoFactorTrustId, s.trust);
    assert.equal(trusted.response.trusts[0].applicationId, s.appId);
    assert.ok(trusted.response.trusts[0].expiration > Date.now());
    const byRequest = await admin.retrieveTwoFactorStatusWithRequest({ userId: s.userId, applicationId: s.appId, twoFactorTrustId: s.trust, action: 'login' });
    assert.equal(byRequest.statusCode, 200);
    const user = (await admin.retrieveUser(s.userId)).response.user;
    assert.equal(user.twoFactor.methods.length, 1);
    assert.equal(user.twoFactor.methods[0].method, 'authenticator');
    assert.equal(user.twoFactor.methods[0].secret, undefined);
  });

  await t.test('recovery codes: retrieve is empty, generate replaces, disable with one', async () => {
    assert.deepEqual((await admin.retrieveTwoFactorRecoveryCodes(s.userId)).response.recoveryCodes, []);
    const fresh = await admin.generateTwoFactorRecoveryCodes(s.userId);
    assert.equal(fresh.response.recoveryCodes.length, 10);
    const user = await admin.retrieveUser(s.userId);
    assert.equal(user.statusCode, 200);
    const methods = (await anon.login({ loginId: s.email, password, applicationId: s.appId })).response.methods;
    const res = await admin.disableTwoFactorWithRequest(s.userId, { methodId: methods[0].id, code: fresh.response.recoveryCodes[0] });
    assert.equal(res.statusCode, 200);
    assert.equal((await anon.login({ loginId: s.email, password, applicationId: s.appId })).statusCode, 200);
  });

  await t.test('WebAuthn: register, login, assert, list, retrieve, delete', async () => {
    const a = new Authenticator();
    const start = await admin.startWebAuthnRegistration({ userId: s.userId, displayName: 'Node key', workflow: 'bootstrap' });
    assert.equal(start.statusCode, 200);
    assert.equal(start.response.options.rp.id, rpId);
    const done = await admin.completeWebAuthnRegistration({ userId: s.userId, credential: a.create(start.response.options), origin, rpId });
    assert.equal(done.statusCode, 200);
    assert.equal(done.response.credential.algorithm, -7);
    s.credentialId = done.response.credential.id;

    const ls = await admin.startWebAuthnLogin({ applicationId: s.appId, userId: s.userId, workflow: 'bootstrap' });
    assert.equal(ls.response.options.rpId, rpId);
    const login = await anon.completeWebAuthnLogin({ credential: a.get(ls.response.options), origin, rpId, applicationId: s.appId });
    assert.equal(login.statusCode, 200);
    assert.ok(login.response.token);

    const rs = await admin.startWebAuthnLogin({ applicationId: s.appId, userId: s.userId, workflow: 'reauthentication' });
    const asserted = await anon.completeWebAuthnAssertion({ credential: a.get(rs.response.options), origin, rpId });
    assert.equal(asserted.statusCode, 200);
    assert.equal(asserted.response.credential.id, s.credentialId);

    const list = await admin.retrieveWebAuthnCredentialsForUser(s.userId);
    assert.equal(list.response.credentials.length, 1);
    assert.equal((await admin.retrieveWebAuthnCredential(s.credentialId)).response.credential.displayName, 'Node key');
    assert.equal((await admin.deleteWebAuthnCredential(s.credentialId)).statusCode, 200);
    assert.equal((await rejected(admin.retrieveWebAuthnCredential(s.credentialId))).statusCode, 404);
  });

  await t.test('passwordless: start, send, login once', async () => {
    const start = await admin.startPasswordlessLogin({ applicationId: s.appId, loginId: s.email });
    assert.equal(start.statusCode, 200);
    assert.equal((await anon.sendPasswordlessCode({ code: 'not-a-code' })).statusCode, 200);
    const login = await anon.passwordlessLogin({ code: start.response.code });
    assert.equal(login.statusCode, 200);
    assert.ok(login.response.token);
    assert.equal((await rejected(anon.passwordlessLogin({ code: start.response.code }))).statusCode, 404);
  });
});
