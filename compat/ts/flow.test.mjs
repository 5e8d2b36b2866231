// FusionAuth's official TypeScript client (@fusionauth/typescript-client)
// driven against a running latchkey, unchanged: every call below is the
// client's own method, and the assertions are on what the client hands back
// (ClientResponse.statusCode / .response / .exception). ts_test.go starts the
// server and passes LATCHKEY_URL, LATCHKEY_API_KEY, LATCHKEY_APP_ID and
// LATCHKEY_TENANT_ID. The subtests share one user and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env, rejected } from './env.mjs';
const url = env('LATCHKEY_URL');
const apiKey = env('LATCHKEY_API_KEY');
const kickstartAppId = env('LATCHKEY_APP_ID');
const defaultTenantId = env('LATCHKEY_TENANT_ID');

// admin carries the API key; anon is what a SPA holds (no key, no
// setRequestCredentials: node has no cookie jar, so tokens travel in bodies).
const admin = new FusionAuthClient(apiKey, url);
const anon = new FusionAuthClient(null, url);

const jwtPart = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());
const email = `ada.${Date.now()}@example.com`;
const password = 'correct horse battery staple';
const s = {}; // state shared by the ordered subtests

test('FusionAuth TypeScript client against latchkey', async (t) => {
  await t.test('createApplication: SPA login flags, OneTimeUse, OAuth grants', async () => {
    const res = await admin.createApplication(null, {
      application: {
        name: 'ts-compat',
        roles: [{ name: 'user', isDefault: true }, { name: 'admin' }],
        loginConfiguration: { requireAuthentication: false, allowTokenRefresh: true, generateRefreshTokens: true },
        jwtConfiguration: {
          enabled: true, timeToLiveInSeconds: 300, refreshTokenTimeToLiveInMinutes: 60,
          refreshTokenUsagePolicy: 'OneTimeUse',
        },
        oauthConfiguration: { enabledGrants: ['password', 'refresh_token'], generateRefreshTokens: true },
      },
    });
    assert.equal(res.statusCode, 200);
    const app = res.response.application;
    assert.match(app.id, /^[0-9a-f-]{36}$/);
    assert.equal(app.tenantId, defaultTenantId);
    assert.deepEqual(app.loginConfiguration,
      { allowTokenRefresh: true, generateRefreshTokens: true, requireAuthentication: false });
    assert.equal(app.jwtConfiguration.refreshTokenUsagePolicy, 'OneTimeUse');
    assert.equal(app.oauthConfiguration.clientId, app.id);
    assert.ok(app.oauthConfiguration.clientSecret.length >= 32, 'a generated client secret');
    s.appId = app.id;
    s.clientSecret = app.oauthConfiguration.clientSecret;
  });

  await t.test('register (combined form) creates the user, the registration and a token', async () => {
    const res = await admin.register(null, {
      user: { email: email.toUpperCase(), password, firstName: 'Ada' },
      registration: { applicationId: s.appId },
    });
    assert.equal(res.statusCode, 200);
    const { user, registration } = res.response;
    assert.equal(user.email, email, 'stored lowercase');
    assert.equal(user.password, undefined, 'a password is never returned');
    assert.equal(registration.applicationId, s.appId);
    assert.deepEqual(registration.roles, ['user'], 'default role');
    assert.equal(typeof res.response.token, 'string', 'FusionAuth returns a token on registration');
    const claims = jwtPart(res.response.token, 1);
    assert.equal(claims.authenticationType, 'REGISTRATION');
    assert.equal(claims.sub, user.id);
    assert.equal(claims.aud, s.appId);
    assert.ok(res.response.tokenExpirationInstant > Date.now());
    s.userId = user.id;
  });

  await t.test('createUser with a taken email: Errors with [duplicate]user.email', async () => {
    const e = await rejected(admin.createUser(null, { user: { email, password } }));
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors['user.email'][0].code, '[duplicate]user.email');
  });

  await t.test('createUser returns a USER_CREATE token', async () => {
    const res = await admin.createUser(null, { user: { email: `other.${email}`, password } });
    assert.equal(res.statusCode, 200);
    assert.equal(jwtPart(res.response.token, 1).authenticationType, 'USER_CREATE');
    assert.equal(jwtPart(res.response.token, 1).sub, res.response.user.id);
    assert.ok(res.response.tokenExpirationInstant > Date.now());
    assert.equal((await admin.deleteUser(res.response.user.id)).statusCode, 200);
  });

  await t.test('login without an API key (requireAuthentication=false)', async () => {
    const res = await anon.login({ loginId: email, password, applicationId: s.appId });
    assert.equal(res.statusCode, 200);
    const r = res.response;
    assert.equal(r.user.id, s.userId);
    assert.ok(r.tokenExpirationInstant > Date.now() && r.tokenExpirationInstant < Date.now() + 301_000, 'ms, 300 s TTL');
    assert.equal(typeof r.refreshToken, 'string');
    assert.match(r.refreshTokenId, /^[0-9a-f-]{36}$/);
    const claims = jwtPart(r.token, 1);
    assert.equal(claims.sid, r.refreshTokenId);
    assert.deepEqual(claims.roles, ['user']);
    s.token = r.token;
    s.refreshToken = r.refreshToken;
    s.refreshTokenId = r.refreshTokenId;
  });

  await t.test('login with a wrong password is a 404 rejection', async () => {
    const e = await rejected(anon.login({ loginId: email, password: 'wrong password!', applicationId: s.appId }));
    assert.equal(e.statusCode, 404);
  });

  await t.test('exchangeRefreshTokenForJWT rotates the value, keeps the id', async () => {
    const res = await anon.exchangeRefreshTokenForJWT({ refreshToken: s.refreshToken });
    assert.equal(res.statusCode, 200);
    assert.notEqual(res.response.token, s.token);
    assert.notEqual(res.response.refreshToken, s.refreshToken, 'OneTimeUse rotates');
    assert.equal(res.response.refreshTokenId, s.refreshTokenId);
    assert.equal(jwtPart(res.response.token, 1).authenticationType, 'REFRESH_TOKEN');
    s.rotatedFrom = s.refreshToken;
    s.refreshToken = res.response.refreshToken;
    s.token = res.response.token;
  });

  await t.test('validateJWT decodes the claims', async () => {
    const res = await anon.validateJWT(s.token);
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.jwt.sub, s.userId);
    assert.equal(res.response.jwt.aud, s.appId);
    assert.equal(res.response.jwt.applicationId, s.appId);
    const e = await rejected(anon.validateJWT(s.token.slice(0, -4) + 'AAAA'));
    assert.equal(e.statusCode, 401);
  });

  await t.test('retrieveJsonWebKeySet publishes the signing key', async () => {
    const res = await anon.retrieveJsonWebKeySet();
    assert.equal(res.statusCode, 200);
    const { kid, alg } = jwtPart(s.token, 0);
    const key = res.response.keys.find((k) => k.kid === kid);
    assert.ok(key, `kid ${kid} in the JWKS`);
    assert.equal(alg, 'ES256');
    assert.equal(key.kty, 'EC');
  });

  await t.test('retrieveRefreshTokens lists the session without its secret', async () => {
    const res = await admin.retrieveRefreshTokens(s.userId);
    assert.equal(res.statusCode, 200);
    const rt = res.response.refreshTokens.find((x) => x.id === s.refreshTokenId);
    assert.ok(rt, 'the login session is listed');
    assert.equal(rt.applicationId, s.appId);
    assert.equal(rt.token, undefined, 'only a hash is stored (deliberate difference)');
  });

  await t.test('retrieveUserByEmail is case-insensitive; tenant header', async () => {
    const res = await admin.retrieveUserByEmail(email.toUpperCase());
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.user.id, s.userId);
    assert.equal(res.response.user.registrations[0].applicationId, s.appId);

    const scoped = new FusionAuthClient(apiKey, url, defaultTenantId);
    assert.equal((await scoped.retrieveUserByEmail(email)).response.user.id, s.userId);
    const other = new FusionAuthClient(apiKey, url, '00000000-0000-4000-8000-000000000001');
    const e = await rejected(other.retrieveUserByEmail(email));
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors.tenantId[0].code, '[invalid]tenantId');

    const missing = await rejected(admin.retrieveUserByEmail(`nobody.${email}`));
    assert.equal(missing.statusCode, 404);
  });

  await t.test('patchUser merges, keeps the password', async () => {
    const res = await admin.patchUser(s.userId, { user: { lastName: 'Lovelace' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.user.firstName, 'Ada');
    assert.equal(res.response.user.lastName, 'Lovelace');
    assert.equal(res.response.user.email, email);
    assert.equal((await anon.login({ loginId: email, password, applicationId: s.appId })).statusCode, 200);
  });

  await t.test('updateRegistration / patchRegistration (application in the body)', async () => {
    const put = await admin.updateRegistration(s.userId, { registration: { applicationId: s.appId, roles: ['admin'] } });
    assert.equal(put.statusCode, 200);
    assert.deepEqual(put.response.registration.roles, ['admin']);
    const patch = await admin.patchRegistration(s.userId, { registration: { applicationId: s.appId, data: { plan: 'pro' } } });
    assert.equal(patch.statusCode, 200);
    assert.deepEqual(patch.response.registration.roles, ['admin'], 'a PATCH keeps what it does not name');
    assert.deepEqual(patch.response.registration.data, { plan: 'pro' });
    const got = await admin.retrieveRegistration(s.userId, s.appId);
    assert.deepEqual(got.response.registration.roles, ['admin']);
    await admin.updateRegistration(s.userId, { registration: { applicationId: s.appId, roles: ['user'] } });
  });

  await t.test('retrieveOauthConfiguration returns the client secret to an API key', async () => {
    const res = await admin.retrieveOauthConfiguration(s.appId);
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.oauthConfiguration.clientId, s.appId);
    assert.equal(res.response.oauthConfiguration.clientSecret, s.clientSecret);
    assert.deepEqual(res.response.oauthConfiguration.enabledGrants, ['password', 'refresh_token']);
  });

  await t.test('OAuth password and refresh_token grants (undefined form fields)', async () => {
    const pw = await anon.exchangeUserCredentialsForAccessToken(email, password, s.appId, s.clientSecret, 'offline_access', undefined);
    assert.equal(pw.statusCode, 200);
    assert.equal(pw.response.token_type, 'Bearer');
    assert.equal(pw.response.userId, s.userId);
    assert.ok(pw.response.expires_in > 0 && pw.response.expires_in <= 300);
    assert.equal(typeof pw.response.refresh_token, 'string');
    assert.equal(jwtPart(pw.response.access_token, 1).aud, s.appId);

    const rf = await anon.exchangeRefreshTokenForAccessToken(pw.response.refresh_token, s.appId, s.clientSecret, undefined, undefined);
    assert.equal(rf.statusCode, 200);
    assert.notEqual(rf.response.refresh_token, pw.response.refresh_token, 'OneTimeUse rotates');

    const bad = await rejected(anon.exchangeUserCredentialsForAccessToken(email, password, s.appId, 'wrong-secret', undefined, undefined));
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.exception.error, 'invalid_client');
  });

  await t.test('logout(false, undefined) is a 200 that revokes nothing', async () => {
    const res = await anon.logout(false, undefined);
    assert.equal(res.statusCode, 200);
    assert.equal((await anon.exchangeRefreshTokenForJWT({ refreshToken: s.refreshToken })).statusCode, 200,
      'the literal "undefined" is not a token');
  });

  await t.test('reuse of a rotated refresh token revokes the family (404)', async () => {
    const login = await anon.login({ loginId: email, password, applicationId: s.appId });
    const first = login.response.refreshToken;
    // The previous value is honoured for a retry window (latchkey's default
    // for gracePeriodInSeconds 0, docs/decisions.md); one two generations
    // back is reuse at once.
    const second = (await anon.exchangeRefreshTokenForJWT({ refreshToken: first })).response.refreshToken;
    const retry = await anon.exchangeRefreshTokenForJWT({ refreshToken: first });
    assert.equal(retry.response.refreshToken, second, 'a retry of the previous value gets the same successor');
    const next = (await anon.exchangeRefreshTokenForJWT({ refreshToken: second })).response.refreshToken;
    const reuse = await rejected(anon.exchangeRefreshTokenForJWT({ refreshToken: first }));
    assert.equal(reuse.statusCode, 404, 'FusionAuth answers 400; latchkey 404 (workflow step 11)');
    const after = await rejected(anon.exchangeRefreshTokenForJWT({ refreshToken: next }));
    assert.equal(after.statusCode, 404, 'the legitimate successor is revoked too');
  });

  await t.test('logout(false, token) revokes that refresh token', async () => {
    const login = await anon.login({ loginId: email, password, applicationId: s.appId });
    assert.equal((await anon.logout(false, login.response.refreshToken)).statusCode, 200);
    const e = await rejected(anon.exchangeRefreshTokenForJWT({ refreshToken: login.response.refreshToken }));
    assert.equal(e.statusCode, 404);
  });

  await t.test('the Kickstart application accepts a login', async () => {
    const res = await anon.login({ loginId: 'kick@example.com', password, applicationId: kickstartAppId });
    assert.equal(res.statusCode, 200);
    assert.equal(jwtPart(res.response.token, 1).aud, kickstartAppId);
  });

  await t.test('searchUsersByQuery and searchUsersByIds (database search)', async () => {
    const q = await admin.searchUsersByQuery({ search: { queryString: email.split('@')[0].toUpperCase(),
      sortFields: [{ name: 'email', order: 'asc' }], numberOfResults: 5 } });
    assert.equal(q.statusCode, 200);
    assert.equal(q.response.total, 1);
    assert.equal(q.response.users[0].id, s.userId);
    assert.equal(q.response.users[0].registrations[0].applicationId, s.appId);
    const ids = await admin.searchUsersByIds([s.userId, '00000000-0000-4000-8000-000000000009']);
    assert.equal(ids.statusCode, 200);
    assert.deepEqual(ids.response.users.map((u) => u.id), [s.userId]);
    const bad = await rejected(admin.searchUsersByQuery({ search: { queryString: '*', sortFields: [{ name: 'password' }] } }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.exception.fieldErrors['search.sortFields[0].name'][0].code, '[invalid]search.sortFields[0].name');
  });

  await t.test('createApplicationRole, createGroup, createGroupMembers: group roles in the JWT', async () => {
    const role = await admin.createApplicationRole(s.appId, null, { role: { name: 'moderator', description: 'Moderates' } });
    assert.equal(role.statusCode, 200);
    const group = await admin.createGroup(null, { group: { name: 'Moderators' }, roleIds: [role.response.role.id] });
    assert.equal(group.statusCode, 200);
    s.groupId = group.response.group.id;
    assert.equal(group.response.group.roles[s.appId][0].name, 'moderator');
    const members = await admin.createGroupMembers({ members: { [s.groupId]: [{ userId: s.userId }] } });
    assert.equal(members.statusCode, 200);
    assert.equal(members.response.members[s.groupId][0].userId, s.userId);
    const login = await anon.login({ loginId: email, password, applicationId: s.appId });
    assert.deepEqual(jwtPart(login.response.token, 1).roles.sort(), ['moderator', 'user']);
    const user = await admin.retrieveUser(s.userId);
    assert.equal(user.response.user.memberships[0].groupId, s.groupId);
  });

  await t.test('createUserAction, actionUser (login answers 409), retrieveActionsPreventingLogin, cancelAction', async () => {
    const def = await admin.createUserAction(null, { userAction: { name: 'Lock', preventLogin: true, temporal: true } });
    assert.equal(def.statusCode, 200);
    const taken = await admin.actionUser({ action: { actioneeUserId: s.userId, userActionId: def.response.userAction.id,
      expiry: Date.now() + 3_600_000, comment: 'ts compat' }, broadcast: false });
    assert.equal(taken.statusCode, 200);
    assert.equal(taken.response.action.name, 'Lock');
    const preventing = await admin.retrieveActionsPreventingLogin(s.userId);
    assert.deepEqual(preventing.response.actions.map((a) => a.id), [taken.response.action.id]);
    const locked = await rejected(anon.login({ loginId: email, password, applicationId: s.appId }));
    assert.equal(locked.statusCode, 409);
    assert.equal(locked.exception.actions[0].actionId, taken.response.action.id);
    assert.equal(locked.exception.actions[0].name, 'Lock');
    const cancelled = await admin.cancelAction(taken.response.action.id, { action: { comment: 'lifted' } });
    assert.equal(cancelled.statusCode, 200);
    assert.equal((await admin.retrieveActionsPreventingLogin(s.userId)).response.actions.length, 0);
    assert.equal((await anon.login({ loginId: email, password, applicationId: s.appId })).statusCode, 200);
  });

  await t.test('retrieveRecentLogins, retrieveUserRecentLogins, searchLoginRecords', async () => {
    const all = await admin.retrieveRecentLogins(0, 10);
    assert.equal(all.statusCode, 200);
    assert.ok(all.response.logins.some((l) => l.userId === s.userId && l.applicationName === 'ts-compat'));
    const mine = await admin.retrieveUserRecentLogins(s.userId, 0, 2);
    assert.equal(mine.response.logins.length, 2);
    assert.ok(mine.response.logins[0].instant >= mine.response.logins[1].instant, 'newest first');
    const search = await admin.searchLoginRecords({ search: { userId: s.userId, numberOfResults: 1 }, retrieveTotal: true });
    assert.equal(search.statusCode, 200);
    assert.equal(search.response.logins.length, 1);
    assert.ok(search.response.total >= 2);
  });

  await t.test('loginPing, loginPingWithRequest: a login recorded without a password', async () => {
    const before = (await admin.retrieveUserRecentLogins(s.userId, 0, 100)).response.logins.length;
    assert.equal((await admin.loginPing(s.userId, s.appId, '203.0.113.9')).statusCode, 200);
    const withRequest = await admin.loginPingWithRequest({ userId: s.userId, applicationId: s.appId, ipAddress: '198.51.100.9' });
    assert.equal(withRequest.statusCode, 200);
    const logins = (await admin.retrieveUserRecentLogins(s.userId, 0, 100)).response.logins;
    assert.equal(logins.length, before + 2);
    assert.deepEqual(logins.slice(0, 2).map((l) => l.ipAddress).sort(), ['198.51.100.9', '203.0.113.9']);
    const user = (await admin.retrieveUser(s.userId)).response.user;
    assert.equal(user.lastLoginInstant, logins[0].instant);
    const unknown = await rejected(admin.loginPing('0f1a2b3c-0000-4000-8000-0000000000ee', s.appId));
    assert.equal(unknown.statusCode, 404);
  });

  await t.test('searchApplications, searchEmailTemplates: a page and the total', async () => {
    const apps = await admin.searchApplications({ search: { name: 'TS-COMPAT', numberOfResults: 5 } });
    assert.equal(apps.statusCode, 200);
    assert.ok(apps.response.applications.some((a) => a.id === s.appId && a.name === 'ts-compat'));
    assert.equal(apps.response.total, apps.response.applications.length);
    const templates = await admin.searchEmailTemplates({ search: { name: '*', numberOfResults: 1 } });
    assert.equal(templates.statusCode, 200);
    assert.equal(templates.response.emailTemplates.length, 1);
    assert.ok(templates.response.total >= 1);
    const bad = await rejected(admin.searchEmailTemplates({ search: { orderBy: 'color' } }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.exception.fieldErrors['search.orderBy'][0].code, '[invalid]search.orderBy');
  });

  await t.test('searchAuditLogs, createAuditLog, retrieveAuditLog', async () => {
    const found = await admin.searchAuditLogs({ search: { message: '*group*', numberOfResults: 10 } });
    assert.equal(found.statusCode, 200);
    assert.ok(found.response.total >= 1);
    assert.match(found.response.auditLogs[0].insertUser, /^apiKey:[0-9a-f-]{36}$/);
    const created = await admin.createAuditLog({ auditLog: { insertUser: 'ops@example.com', message: 'ts compat', reason: 'test' } });
    assert.equal(created.statusCode, 200);
    const got = await admin.retrieveAuditLog(created.response.auditLog.id);
    assert.equal(got.response.auditLog.message, 'ts compat');
    assert.equal(typeof got.response.auditLog.id, 'number', 'audit log ids are Longs');
  });

  await t.test('retrieveKeys lists the signing keys without private parts', async () => {
    const res = await admin.retrieveKeys();
    assert.equal(res.statusCode, 200);
    const es = res.response.keys.find((k) => k.algorithm === 'ES256' && k.state === 'active');
    assert.equal(es.kid, jwtPart(s.token, 0).kid);
    assert.match(es.publicKey, /BEGIN PUBLIC KEY/);
    assert.equal(es.privateKey, undefined);
  });

  await t.test('deleteUser (hardDelete=true) removes the user', async () => {
    assert.equal((await admin.deleteUser(s.userId)).statusCode, 200);
    assert.equal((await rejected(admin.retrieveUser(s.userId))).statusCode, 404);
    assert.equal((await rejected(anon.login({ loginId: email, password, applicationId: s.appId }))).statusCode, 404);
  });
});
