// FusionAuth's TypeScript client on issue 14's APIs: lambdas, user import
// and webhooks, a hard delete by deleteUserWithRequest and the bulk delete
// (deleteUsers, deactivateUsersByIds, deleteUsersByQuery): unchanged client
// methods against a running latchkey started by events_test.go (LATCHKEY_URL, LATCHKEY_API_KEY, LATCHKEY_TENANT_ID,
// LATCHKEY_BCRYPT_HASH: a bcrypt hash of the imported user's password).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { FusionAuthClient, env, rejected } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));
const anon = new FusionAuthClient(null, env('LATCHKEY_URL'));
const tenantId = env('LATCHKEY_TENANT_ID');
const hash = env('LATCHKEY_BCRYPT_HASH'); // $2a$04$<22 salt><31 hash>
const oldPassword = 'old password from elsewhere';

const jwtPart = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());

test('FusionAuth TypeScript client: lambdas, import, webhooks', async (t) => {
  const s = {};

  await t.test('createLambda, retrieveLambdasByType', async () => {
    const res = await admin.createLambda(null, { lambda: { name: 'plan', type: 'JWTPopulate',
      body: 'function populate(jwt, user, registration) { jwt.plan = user.data.plan; }' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.lambda.engineType, 'GraalJS');
    s.lambdaId = res.response.lambda.id;
    const list = await admin.retrieveLambdasByType('JWTPopulate');
    assert.deepEqual(list.response.lambdas.map((l) => l.id), [s.lambdaId]);
    const bad = await rejected(admin.createLambda(null, { lambda: { name: 'x', type: 'JWTPopulate', body: 'function populate( {' } }));
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.exception.fieldErrors['lambda.body']);
  });

  await t.test('createApplication with lambdaConfiguration', async () => {
    const res = await admin.createApplication(null, { application: { name: 'moved-app',
      roles: [{ name: 'user', isDefault: true }],
      loginConfiguration: { requireAuthentication: false, generateRefreshTokens: true, allowTokenRefresh: true },
      lambdaConfiguration: { accessTokenPopulateId: s.lambdaId } } });
    assert.equal(res.statusCode, 200);
    s.appId = res.response.application.id;
  });

  await t.test('importUsers with a bcrypt hash; the user logs in with the old password, populated by the lambda', async () => {
    s.email = `moved.${Date.now()}@example.com`;
    const res = await admin.importUsers({ users: [{ email: s.email, password: hash.slice(29), salt: hash.slice(7, 29),
      factor: 4, encryptionScheme: 'bcrypt', active: true, data: { plan: 'gold' },
      registrations: [{ applicationId: s.appId, roles: ['user'] }] }] });
    assert.equal(res.statusCode, 200);
    const login = await anon.login({ loginId: s.email, password: oldPassword, applicationId: s.appId });
    assert.equal(login.statusCode, 200);
    assert.equal(jwtPart(login.response.token, 1).plan, 'gold');
  });

  await t.test('importUsers refuses a duplicate by record (validateDbConstraints)', async () => {
    const e = await rejected(admin.importUsers({ validateDbConstraints: true,
      users: [{ email: s.email, password: 'x', encryptionScheme: 'bcrypt', salt: 'x' }] }));
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors['users[0].email'][0].code, '[duplicate]users[0].email');
  });

  await t.test('createWebhook, patchTenant eventConfiguration: a login is delivered, signed', async () => {
    const got = [];
    let arrived;
    const delivered = new Promise((resolve) => { arrived = resolve; });
    const receiver = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end();
        arrived();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const keys = (await anon.retrieveJsonWebKeySet()).response.keys;
      const es256 = keys.find((k) => k.alg === 'ES256');
      const hook = await admin.createWebhook(null, { webhook: { url: `http://127.0.0.1:${receiver.address().port}/hook`,
        connectTimeout: 1000, readTimeout: 2000, global: true, eventsEnabled: { 'user.login.success': true },
        signatureConfiguration: { enabled: true, signingKeyId: es256.kid } } });
      assert.equal(hook.statusCode, 200);
      s.webhookId = hook.response.webhook.id;
      assert.equal((await admin.retrieveWebhook(s.webhookId)).response.webhook.url.endsWith('/hook'), true);
      const patched = await admin.patchTenant(tenantId, { tenant: { eventConfiguration: { events: {
        'user.login.success': { enabled: true, transactionType: 'None' } } } } });
      assert.equal(patched.statusCode, 200);
      assert.equal((await anon.login({ loginId: s.email, password: oldPassword, applicationId: s.appId })).statusCode, 200);
      await delivered;
      const { headers, body } = got[0];
      const event = JSON.parse(body.toString()).event;
      assert.equal(event.type, 'user.login.success');
      assert.equal(event.user.email, s.email);
      // X-FusionAuth-Signature-JWT: verify with the published key, then the body hash.
      const [h, p, sig] = headers['x-fusionauth-signature-jwt'].split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString());
      assert.equal(header.kid, es256.kid);
      const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: es256, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig, 'base64url'));
      assert.ok(ok, 'the signature verifies with the JWKS key');
      assert.deepEqual(JSON.parse(Buffer.from(p, 'base64url').toString()),
        { request_body_sha256: createHash('sha256').update(body).digest('base64') });
    } finally {
      receiver.close();
    }
  });

  await t.test('deleteWebhook; deleteLambda once no application uses it', async () => {
    assert.equal((await admin.deleteWebhook(s.webhookId)).statusCode, 200);
    assert.equal((await rejected(admin.deleteLambda(s.lambdaId))).statusCode, 400);
    assert.equal((await admin.patchApplication(s.appId, { application: { lambdaConfiguration: { accessTokenPopulateId: null } } })).statusCode, 200);
    assert.equal((await admin.deleteLambda(s.lambdaId)).statusCode, 200);
  });

  await t.test('deleteUserWithRequest hardDelete: the user is gone, user.delete is sent, the email is free again', async () => {
    const got = [];
    let arrived;
    const delivered = new Promise((resolve) => { arrived = resolve; });
    const receiver = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const event = JSON.parse(Buffer.concat(chunks).toString()).event;
        got.push(event);
        res.writeHead(200).end();
        if (event.type === 'user.delete') arrived();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hook = await admin.createWebhook(null, { webhook: { url: `http://127.0.0.1:${receiver.address().port}/hook`,
        connectTimeout: 1000, readTimeout: 2000, global: true, eventsEnabled: { 'user.delete': true } } });
      assert.equal(hook.statusCode, 200);
      assert.equal((await admin.patchTenant(tenantId, { tenant: { eventConfiguration: { events: {
        'user.delete': { enabled: true, transactionType: 'None' } } } } })).statusCode, 200);
      const email = `leaving.${Date.now()}@example.com`;
      const created = await admin.createUser(null, { user: { email, password: 'a long enough password' } });
      const userId = created.response.user.id;
      assert.equal((await admin.deleteUserWithRequest(userId, { hardDelete: true })).statusCode, 200);
      assert.equal((await rejected(admin.retrieveUser(userId))).statusCode, 404);
      await delivered;
      const deleted = got.find((e) => e.type === 'user.delete');
      assert.equal(deleted.user.id, userId);
      const again = await admin.createUser(null, { user: { email, password: 'a long enough password' } });
      assert.equal(again.statusCode, 200);
      assert.notEqual(again.response.user.id, userId);
      assert.equal((await admin.deleteWebhook(hook.response.webhook.id)).statusCode, 200);
    } finally {
      receiver.close();
    }
  });

  await t.test('deleteUsers dryRun changes nothing; deactivateUsersByIds deactivates; deleteUsersByQuery hardDelete removes', async () => {
    const stamp = Date.now();
    const ids = [];
    for (const n of [1, 2]) {
      ids.push((await admin.createUser(null, { user: { email: `bulk${n}.${stamp}@bulk.example.com`, password: 'a long enough password' } })).response.user.id);
    }
    const dry = await admin.deleteUsers({ userIds: ids, dryRun: true, hardDelete: true });
    assert.equal(dry.statusCode, 200);
    assert.deepEqual(dry.response, { dryRun: true, hardDelete: true, total: 2, userIds: ids });
    for (const id of ids) assert.equal((await admin.retrieveUser(id)).response.user.active, true);

    const soft = await admin.deactivateUsersByIds(ids);
    assert.deepEqual(soft.response, { dryRun: false, hardDelete: false, total: 2, userIds: ids });
    for (const id of ids) assert.equal((await admin.retrieveUser(id)).response.user.active, false);

    const hard = await admin.deleteUsersByQuery({ queryString: `${stamp}@bulk.example.com`, hardDelete: true });
    assert.equal(hard.statusCode, 200);
    assert.equal(hard.response.total, 2);
    assert.deepEqual([...hard.response.userIds].sort(), [...ids].sort());
    for (const id of ids) assert.equal((await rejected(admin.retrieveUser(id))).statusCode, 404);

    const bad = await rejected(admin.deleteUsersByQuery({ query: '{"match_all":{}}', hardDelete: true }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.exception.fieldErrors.query[0].code, '[invalid]query');
  });
});
