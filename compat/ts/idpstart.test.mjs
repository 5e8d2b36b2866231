// FusionAuth's TypeScript client against latchkey's identity provider
// connection test API: startIdentityProviderConnectionTest and
// retrieveIdentityProviderConnectionTestResults, a test-mode sign-in
// (/oauth2/federate/{id}?connectionTestId=) of a provider whose issuer
// cannot be reached, and startIdentityProviderLogin, which latchkey does
// not serve (it starts HYPR and SAML v2 logins only: docs/compatibility.md).
// Run by ts_test.go after flow.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env } from './env.mjs';
const base = env('LATCHKEY_URL');
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), base);
const appId = env('LATCHKEY_APP_ID');
const idpId = '5c6d7e8f-0000-4000-8000-0000000000e1';
const redirect = 'https://app.example.test/callback';

const refused = async (call, status) => {
  try {
    await call();
    assert.fail('the call was not refused');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, status);
    return e.exception;
  }
};

test('identity provider connection tests through FusionAuth\'s TypeScript client', async () => {
  await admin.createIdentityProvider(idpId, {
    identityProvider: {
      type: 'OpenIDConnect', name: 'Unreachable upstream', buttonText: 'Sign in', enabled: false,
      oauth2: { client_id: 'latchkey', client_secret: 'never-shown-secret', issuer: 'http://127.0.0.1:1/nowhere' },
    },
  });
  await admin.patchApplication(appId, { application: { oauthConfiguration: { authorizedRedirectURLs: [redirect], enabledGrants: ['authorization_code'] } } });

  const started = await admin.startIdentityProviderConnectionTest({ identityProviderId: idpId });
  assert.equal(started.statusCode, 200);
  const id = started.response.connectionTestId;
  assert.ok(id);
  let result = (await admin.retrieveIdentityProviderConnectionTestResults(id)).response.result;
  assert.equal(result.identityProviderId, idpId);
  assert.equal(result.success, false);
  assert.deepEqual(result.steps, []);

  const q = new URLSearchParams({ client_id: appId, redirect_uri: redirect, response_type: 'code', scope: 'openid', connectionTestId: id });
  const page = await fetch(`${base}/oauth2/federate/${idpId}?${q}`, { redirect: 'manual' });
  assert.equal(page.status, 200, `federate answered ${page.status} ${page.headers.get('location')}`);
  result = (await admin.retrieveIdentityProviderConnectionTestResults(id)).response.result;
  assert.equal(result.success, false);
  assert.deepEqual(result.steps.map((s) => [s.title, s.success]), [["Resolve the provider's endpoints", false]]);
  assert.ok(!JSON.stringify(result).includes('never-shown-secret'));

  const blank = await refused(() => admin.startIdentityProviderConnectionTest({}), 400);
  assert.equal(blank.fieldErrors.identityProviderId[0].code, '[blank]identityProviderId');
  const missing = await refused(() => admin.retrieveIdentityProviderConnectionTestResults(''), 400);
  assert.equal(missing.fieldErrors.connectionTestId[0].code, '[missing]connectionTestId');
  await refused(() => admin.retrieveIdentityProviderConnectionTestResults('no-such-test'), 404);

  await refused(() => admin.startIdentityProviderLogin({ applicationId: appId, identityProviderId: idpId, loginId: 'kick@example.com' }), 404);
});
