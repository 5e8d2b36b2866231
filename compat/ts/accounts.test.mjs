// FusionAuth's TypeScript client against latchkey's account API (issue 9):
// forgot and change password in every mode, the checks, the one-time
// password login, email verification, password rules, the tenant's email
// configuration, email templates, and latchkey's keyless sign-up through
// the client's own register(). Every call is the client's method; the
// assertions are on what it hands back. Run by ts_test.go after
// flow.test.mjs (one at a time: this file changes the tenant).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env, rejected } from './env.mjs';
const url = env('LATCHKEY_URL');
const tenantId = env('LATCHKEY_TENANT_ID');
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), url);
const anon = new FusionAuthClient(null, url);

const email = `grace.${Date.now()}@example.com`;
const password = 'first grace passphrase';
const s = {};

test('the account API through FusionAuth\'s TypeScript client', async (t) => {
  await t.test('createApplication with sign-up enabled; register() without an API key signs up', async () => {
    const app = await admin.createApplication(null, {
      application: {
        name: 'ts-accounts',
        roles: [{ name: 'member', isDefault: true }, { name: 'admin' }],
        loginConfiguration: { requireAuthentication: false, allowTokenRefresh: true, generateRefreshTokens: true },
        oauthConfiguration: { authorizedOriginURLs: ['https://accounts.example.test'] },
        registrationConfiguration: { enabled: true, type: 'basic' },
      },
    });
    s.appId = app.response.application.id;
    assert.equal(app.response.application.registrationConfiguration.enabled, true);
    const res = await anon.register(null, { user: { email, password, firstName: 'Grace' }, registration: { applicationId: s.appId } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.response.registration.roles, ['member']);
    assert.equal(res.response.token, undefined, 'a keyless sign-up issues no token');
    s.userId = res.response.user.id;
    const refused = await rejected(anon.register(null, { user: { email: `x.${email}`, password }, registration: { applicationId: s.appId, roles: ['admin'] } }));
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.exception.fieldErrors['registration.roles'][0].code, '[notAllowed]registration.roles');
  });

  await t.test('retrievePasswordValidationRules[WithTenantId] without a key', async () => {
    for (const res of [await anon.retrievePasswordValidationRules(), await anon.retrievePasswordValidationRulesWithTenantId(tenantId)]) {
      assert.equal(res.statusCode, 200);
      assert.equal(res.response.passwordValidationRules.minLength, 8);
      assert.equal(res.response.passwordValidationRules.breachDetection, undefined);
    }
  });

  await t.test('forgotPassword: the key gets the changePasswordId, anonymous callers nothing either way', async () => {
    const res = await admin.forgotPassword({ loginId: email, sendForgotPasswordEmail: false, applicationId: s.appId, state: { from: 'ts' } });
    assert.equal(res.statusCode, 200);
    s.changePasswordId = res.response.changePasswordId;
    assert.equal(s.changePasswordId.length, 43);
    for (const loginId of [email, 'nobody@example.com']) {
      assert.equal((await anon.forgotPassword({ loginId })).statusCode, 200);
    }
    assert.equal((await rejected(admin.forgotPassword({ loginId: 'nobody@example.com' }))).statusCode, 404);
  });

  await t.test('checkChangePasswordUsingId[AndIPAddress] and retrieveUserByChangePasswordId do not consume the id', async () => {
    assert.equal((await anon.checkChangePasswordUsingId(s.changePasswordId)).statusCode, 200);
    assert.equal((await anon.checkChangePasswordUsingIdAndIPAddress(s.changePasswordId, '192.0.2.7')).statusCode, 200);
    const res = await admin.retrieveUserByChangePasswordId(s.changePasswordId);
    assert.equal(res.response.user.id, s.userId);
    assert.equal((await rejected(anon.checkChangePasswordUsingId('nope'))).statusCode, 404);
  });

  await t.test('changePassword with the id answers a oneTimePassword, which login() spends once', async () => {
    const res = await anon.changePassword(s.changePasswordId, { password: 'second grace passphrase' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.response.state, { from: 'ts' });
    const login = await anon.login({ oneTimePassword: res.response.oneTimePassword, applicationId: s.appId });
    assert.equal(login.statusCode, 200);
    assert.equal(typeof login.response.refreshToken, 'string');
    assert.equal((await rejected(anon.login({ oneTimePassword: res.response.oneTimePassword, applicationId: s.appId }))).statusCode, 404);
    assert.equal((await rejected(anon.changePassword(s.changePasswordId, { password: 'third grace passphrase' }))).statusCode, 404);
    s.token = login.response.token;
  });

  await t.test('changePasswordUsingJWT / changePasswordByJWT with the current password; checkChangePasswordUsingJWT', async () => {
    assert.equal((await anon.checkChangePasswordUsingJWT(s.token)).statusCode, 200);
    assert.equal((await anon.checkChangePasswordUsingJWTAndIPAddress(s.token, '192.0.2.7')).statusCode, 200);
    const wrong = await rejected(anon.changePasswordUsingJWT(s.token, { currentPassword: 'wrong', password: 'third grace passphrase' }));
    assert.equal(wrong.statusCode, 404);
    const res = await anon.changePasswordUsingJWT(s.token, { currentPassword: 'second grace passphrase', password: 'third grace passphrase' });
    assert.equal(res.statusCode, 200);
    assert.equal(typeof res.response.oneTimePassword, 'string');
    const login = await anon.login({ loginId: email, password: 'third grace passphrase', applicationId: s.appId });
    const byJWT = await anon.changePasswordByJWT(login.response.token, { currentPassword: 'third grace passphrase', password: 'fourth grace passphrase' });
    assert.equal(byJWT.statusCode, 200);
  });

  await t.test('changePasswordByIdentity and the loginId checks need the API key', async () => {
    const res = await admin.changePasswordByIdentity({ loginId: email, currentPassword: 'fourth grace passphrase', password: 'fifth grace passphrase' });
    assert.equal(res.statusCode, 200);
    const policy = await rejected(admin.changePasswordByIdentity({ loginId: email, password: 'short' }));
    assert.equal(policy.exception.fieldErrors.password[0].code, '[tooShort]password');
    assert.equal((await admin.checkChangePasswordUsingLoginId(email)).statusCode, 200);
    assert.equal((await admin.checkChangePasswordUsingLoginIdAndIPAddress(email, '192.0.2.7')).statusCode, 200);
    assert.equal((await admin.checkChangePasswordUsingLoginIdAndLoginIdTypes(email, ['email', 'username'])).statusCode, 200);
    assert.equal((await admin.checkChangePasswordUsingLoginIdAndLoginIdTypesAndIPAddress(email, ['email'], '192.0.2.7')).statusCode, 200);
    assert.equal((await rejected(anon.checkChangePasswordUsingLoginId(email))).statusCode, 401);
  });

  await t.test('patchTenant / retrieveTenant: emailConfiguration, the SMTP password never returned', async () => {
    const res = await admin.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: true, username: 'mailer', password: 'smtp-secret', port: 2525 } } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.response.tenant.emailConfiguration.verifyEmail, true);
    assert.equal(res.response.tenant.emailConfiguration.password, undefined);
    const got = await admin.retrieveTenant(tenantId);
    assert.equal(got.response.tenant.emailConfiguration.password, undefined);
    assert.equal(got.response.tenant.externalIdentifierConfiguration.changePasswordIdTimeToLiveInSeconds, 600);
  });

  await t.test('email verification: generate, resend, retrieveUserByVerificationId, verify three ways', async () => {
    const created = await admin.createUser(null, { user: { email: `v.${email}`, password } });
    assert.equal(created.response.user.verified, false, 'the tenant verifies addresses now');
    const gen = await admin.generateEmailVerificationId(`v.${email}`);
    assert.equal(gen.statusCode, 200);
    assert.equal((await admin.retrieveUserByVerificationId(gen.response.verificationId)).response.user.id, created.response.user.id);
    const resent = await admin.resendEmailVerificationWithApplicationTemplate(s.appId, `v.${email}`);
    assert.equal((await rejected(anon.verifyEmailAddress({ verificationId: gen.response.verificationId }))).statusCode, 404, 'voided by the resend');
    assert.equal((await anon.verifyEmailAddress({ verificationId: resent.response.verificationId })).statusCode, 200);
    assert.equal((await admin.retrieveUser(created.response.user.id)).response.user.verified, true);

    const second = await admin.createUser(null, { user: { email: `w.${email}`, password } });
    const id = (await admin.resendEmailVerification(`w.${email}`)).response.verificationId;
    assert.equal((await anon.verifyEmail(id)).statusCode, 200, 'the deprecated path form, text/plain and no body');
    const third = await admin.createUser(null, { user: { email: `z.${email}`, password } });
    assert.equal((await admin.verifyEmailAddressByUserId({ userId: third.response.user.id })).statusCode, 200);
    assert.equal((await admin.retrieveUser(third.response.user.id)).response.user.verified, true);
    assert.equal(second.statusCode, 200);
    await admin.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: false } } });
  });

  await t.test('email templates: create, retrieve, update, patch, preview, delete', async () => {
    const body = { name: `ts ${Date.now()}`, defaultSubject: 'Hi ${user.firstName!"you"}', defaultHtmlTemplate: '<p>${user.email}</p>', defaultTextTemplate: '${user.email}' };
    const created = await admin.createEmailTemplate(null, { emailTemplate: body });
    const id = created.response.emailTemplate.id;
    assert.equal((await admin.retrieveEmailTemplate(id)).response.emailTemplate.name, body.name);
    assert.ok((await admin.retrieveEmailTemplates()).response.emailTemplates.length >= 7);
    const updated = await admin.updateEmailTemplate(id, { emailTemplate: { ...body, defaultSubject: 'Hello' } });
    assert.equal(updated.response.emailTemplate.defaultSubject, 'Hello');
    const patched = await admin.patchEmailTemplate(id, { emailTemplate: { fromEmail: 'ts@example.com' } });
    assert.equal(patched.response.emailTemplate.fromEmail, 'ts@example.com');
    const bad = await rejected(admin.patchEmailTemplate(id, { emailTemplate: { defaultSubject: '${user.email?upper_case}' } }));
    assert.equal(bad.exception.fieldErrors['emailTemplate.defaultSubject'][0].code, '[invalidTemplate]emailTemplate.defaultSubject');
    const preview = await admin.retrieveEmailTemplatePreview({ emailTemplate: body, locale: 'en' });
    assert.equal(preview.response.email.subject, 'Hi Ada');
    assert.equal((await admin.deleteEmailTemplate(id)).statusCode, 200);
    assert.equal((await rejected(admin.retrieveEmailTemplate(id))).statusCode, 404);
  });
});
