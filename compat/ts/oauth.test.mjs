// FusionAuth's TypeScript client on latchkey's OAuth endpoints: the code
// flow with PKCE (the hosted login page is driven with fetch, as a browser
// would submit it), then exchangeOAuthCodeForAccessTokenUsingPKCE,
// retrieveUserInfoFromAccessToken and introspectAccessToken, unchanged.
// oauth_test.go starts the server and passes LATCHKEY_URL, LATCHKEY_APP_ID,
// LATCHKEY_REDIRECT_URI, LATCHKEY_LOGIN and LATCHKEY_PASSWORD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { FusionAuthClient, env, rejected } from './env.mjs';
const url = env('LATCHKEY_URL');
const appId = env('LATCHKEY_APP_ID');
const redirectURI = env('LATCHKEY_REDIRECT_URI');
const anon = new FusionAuthClient(null, url);

const unescape = (s) => s.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// login drives the hosted page: GET /oauth2/authorize, then post its form
// (hidden fields, CSRF token and cookie) with the credentials.
async function login(verifier) {
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ client_id: appId, redirect_uri: redirectURI, response_type: 'code',
    scope: 'openid offline_access email', state: 'ts-state', code_challenge: challenge, code_challenge_method: 'S256' });
  const page = await fetch(`${url}/oauth2/authorize?${q}`, { redirect: 'manual' });
  assert.equal(page.status, 200);
  const html = await page.text();
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(unescape(name), unescape(value));
  }
  form.set('loginId', env('LATCHKEY_LOGIN'));
  form.set('password', env('LATCHKEY_PASSWORD'));
  const res = await fetch(`${url}/oauth2/authorize`, { method: 'POST', redirect: 'manual', body: form,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 302, await res.text());
  const back = new URL(res.headers.get('location'));
  assert.equal(back.origin + back.pathname, redirectURI);
  assert.equal(back.searchParams.get('state'), 'ts-state');
  assert.equal(back.searchParams.get('iss'), url);
  return back.searchParams.get('code');
}

test('FusionAuth TypeScript client on the OAuth endpoints', async (t) => {
  const verifier = randomBytes(32).toString('base64url');
  const code = await login(verifier);
  let token;

  await t.test('exchangeOAuthCodeForAccessTokenUsingPKCE (public client, no secret)', async () => {
    const res = await anon.exchangeOAuthCodeForAccessTokenUsingPKCE(code, appId, undefined, redirectURI, verifier);
    assert.equal(res.statusCode, 200);
    const r = res.response;
    assert.equal(r.token_type, 'Bearer');
    assert.equal(r.scope, 'openid offline_access email');
    assert.ok(r.access_token && r.id_token && r.refresh_token && r.refresh_token_id && r.userId);
    assert.ok(r.expires_in > 0);
    token = r;
  });

  await t.test('the code is single use: the same call fails with FusionAuth\'s error', async () => {
    const e = await rejected(anon.exchangeOAuthCodeForAccessTokenUsingPKCE(code, appId, undefined, redirectURI, verifier));
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.error, 'invalid_request');
    assert.equal(e.exception.error_reason, 'auth_code_not_found');
  });

  await t.test('...and revoked the tokens of the first use', async () => {
    const res = await anon.introspectAccessToken(appId, token.access_token);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.response, { active: false });
  });

  await t.test('retrieveUserInfoFromAccessToken and introspectAccessToken on a fresh code', async () => {
    const v = randomBytes(32).toString('base64url');
    const fresh = (await anon.exchangeOAuthCodeForAccessTokenUsingPKCE(await login(v), appId, undefined, redirectURI, v)).response;
    const info = await anon.retrieveUserInfoFromAccessToken(fresh.access_token);
    assert.equal(info.statusCode, 200);
    assert.equal(info.response.sub, fresh.userId);
    assert.equal(info.response.email, env('LATCHKEY_LOGIN'));
    const intro = await anon.introspectAccessToken(appId, fresh.access_token);
    assert.equal(intro.statusCode, 200);
    assert.equal(intro.response.active, true);
    assert.equal(intro.response.sub, fresh.userId);
    assert.equal(intro.response.aud, appId);
    const bad = await rejected(anon.retrieveUserInfoFromAccessToken('not-a-token'));
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.exception.error, 'invalid_token');
  });

  await t.test('clientCredentialsGrant and introspectClientCredentialsAccessToken (entities)', async () => {
    const api = env('LATCHKEY_API_ENTITY');
    const client = env('LATCHKEY_CLIENT_ENTITY');
    const res = await anon.clientCredentialsGrant(client, env('LATCHKEY_CLIENT_SECRET'), `target-entity:${api}:read`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.token_type, 'Bearer');
    assert.equal(res.response.scope, `target-entity:${api}:read`);
    assert.equal(res.response.refresh_token, undefined);
    const intro = await anon.introspectClientCredentialsAccessToken(res.response.access_token);
    assert.equal(intro.statusCode, 200);
    assert.equal(intro.response.active, true);
    assert.equal(intro.response.sub, client);
    assert.equal(intro.response.aud, api);
    assert.deepEqual(intro.response.permissions, { [api]: ['read'] });
    const bad = await rejected(anon.clientCredentialsGrant(client, 'wrong', `target-entity:${api}`));
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.exception.error, 'invalid_client');
    const denied = await rejected(anon.clientCredentialsGrant(client, env('LATCHKEY_CLIENT_SECRET'), `target-entity:${api}:write`));
    assert.equal(denied.statusCode, 400);
    assert.equal(denied.exception.error_reason, 'invalid_entity_permission_scope');
  });
});
