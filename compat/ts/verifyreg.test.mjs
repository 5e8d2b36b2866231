// FusionAuth's TypeScript client against latchkey's registration
// verification: createApplication with verifyRegistration, register() with
// an API key (registrationVerificationId in the answer), a login answered
// 213, generateRegistrationVerificationId, resendRegistrationVerification,
// verifyUserRegistration (single use, the earlier id voided), and
// retrieveRegistration's verified and verifiedInstant. Run by ts_test.go
// last (it adds an application and a user).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env, rejected } from './env.mjs';
const url = env('LATCHKEY_URL');
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), url);
const anon = new FusionAuthClient(null, url);

test('registration verification through FusionAuth\'s TypeScript client', async () => {
  const email = `vera.${Date.now()}@example.com`;
  const password = 'vera registers here';
  const app = await admin.createApplication(null, { application: { name: `verifying ${Date.now()}`, verifyRegistration: true,
    verificationStrategy: 'ClickableLink', loginConfiguration: { requireAuthentication: false } } });
  const appId = app.response.application.id;
  assert.equal(app.response.application.verifyRegistration, true);

  const reg = await admin.register(null, { user: { email, password }, registration: { applicationId: appId }, skipVerification: true });
  assert.equal(reg.statusCode, 200);
  assert.equal(reg.response.registration.verified, false);
  const first = reg.response.registrationVerificationId;
  assert.ok(first);
  const userId = reg.response.user.id;

  const held = await anon.login({ loginId: email, password, applicationId: appId });
  assert.equal(held.statusCode, 213);
  assert.equal(held.response.user.id, userId);
  assert.equal(held.response.token, undefined);

  const generated = await admin.generateRegistrationVerificationId(email, appId);
  assert.ok(generated.response.verificationId && generated.response.verificationId !== first);
  const resent = await admin.resendRegistrationVerification(email, appId);
  const latest = resent.response.verificationId;
  assert.ok(latest && latest !== generated.response.verificationId);

  assert.equal((await rejected(anon.verifyUserRegistration({ verificationId: first }))).statusCode, 404);
  assert.equal((await anon.verifyUserRegistration({ verificationId: latest })).statusCode, 200);
  assert.equal((await rejected(anon.verifyUserRegistration({ verificationId: latest }))).statusCode, 404);

  const got = await admin.retrieveRegistration(userId, appId);
  assert.equal(got.response.registration.verified, true);
  assert.ok(got.response.registration.verifiedInstant > 0);
  const login = await anon.login({ loginId: email, password, applicationId: appId });
  assert.equal(login.statusCode, 200);
  assert.ok(login.response.token);
});
