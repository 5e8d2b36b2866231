// FusionAuth's TypeScript client against latchkey's Consent API: the
// definitions (createConsent, retrieveConsent, retrieveConsents,
// updateConsent, patchConsent, searchConsents, searchConsentsByParameters,
// deleteConsent) and the consents granted to users (createUserConsent,
// retrieveUserConsent, retrieveUserConsents, updateUserConsent,
// patchUserConsent, revokeUserConsent), and the client's error for a
// refused grant. Run by ts_test.go after flow.test.mjs (the Kickstart's
// user, kick@example.com, gives and receives the consent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

const refused = async (call, field, code) => {
  try {
    await call();
    assert.fail(`${field} was not refused`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors[field][0].code, code);
  }
};

test('consents through FusionAuth\'s TypeScript client', async () => {
  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;
  const id = randomUUID();
  const created = await admin.createConsent(id, { consent: { name: 'TS Marketing', defaultMinimumAgeForSelfConsent: 13, values: ['Email', 'Phone'], multipleValuesAllowed: true } });
  assert.equal(created.statusCode, 200);
  assert.equal(created.response.consent.id, id);
  const other = await admin.createConsent(undefined, { consent: { name: 'TS Analytics', defaultMinimumAgeForSelfConsent: 16 } });
  assert.ok(other.response.consent.id);

  assert.equal((await admin.retrieveConsent(id)).response.consent.name, 'TS Marketing');
  const names = (await admin.retrieveConsents()).response.consents.map((c) => c.name);
  assert.ok(names.includes('TS Marketing') && names.includes('TS Analytics'));

  const updated = await admin.updateConsent(id, { consent: { name: 'TS Marketing v2', defaultMinimumAgeForSelfConsent: 13, values: ['Email', 'Phone'], multipleValuesAllowed: true } });
  assert.equal(updated.response.consent.name, 'TS Marketing v2');
  const patched = await admin.patchConsent(id, { consent: { data: { team: 'growth' } } });
  assert.equal(patched.response.consent.data.team, 'growth');
  assert.equal(patched.response.consent.name, 'TS Marketing v2');

  const found = await admin.searchConsents({ search: { name: 'ts marketing', numberOfResults: 10 } });
  assert.equal(found.response.total, 1);
  assert.equal(found.response.consents[0].id, id);
  const byParams = await admin.searchConsentsByParameters('*Analytics', 10, 'name ASC', 0);
  assert.deepEqual(byParams.response.consents.map((c) => c.name), ['TS Analytics']);

  const ucId = randomUUID();
  const granted = await admin.createUserConsent(ucId, { userConsent: { userId: user.id, giverUserId: user.id, consentId: id, values: ['Email'] } });
  assert.equal(granted.response.userConsent.status, 'Active');
  assert.equal(granted.response.userConsent.consent.id, id);
  const second = await admin.createUserConsent(undefined, { userConsent: { userId: user.id, giverUserId: user.id, consentId: other.response.consent.id } });
  assert.ok(second.response.userConsent.id);

  assert.deepEqual((await admin.retrieveUserConsent(ucId)).response.userConsent.values, ['Email']);
  const mine = (await admin.retrieveUserConsents(user.id)).response.userConsents.map((c) => c.id);
  assert.deepEqual(mine, [ucId, second.response.userConsent.id]);

  const both = await admin.updateUserConsent(ucId, { userConsent: { status: 'Active', values: ['Email', 'Phone'] } });
  assert.deepEqual(both.response.userConsent.values, ['Email', 'Phone']);
  await admin.revokeUserConsent(ucId);
  assert.equal((await admin.retrieveUserConsent(ucId)).response.userConsent.status, 'Revoked');
  const back = await admin.patchUserConsent(ucId, { userConsent: { status: 'Active' } });
  assert.equal(back.response.userConsent.status, 'Active');

  await refused(() => admin.createUserConsent(undefined, { userConsent: { userId: user.id, giverUserId: user.id, consentId: id, values: ['Fax'] } }),
    'userConsent.values', '[invalid]userConsent.values');
  await refused(() => admin.createConsent(undefined, { consent: { name: 'ts marketing V2', defaultMinimumAgeForSelfConsent: 1 } }),
    'consent.name', '[duplicate]consent.name');

  await admin.deleteConsent(id);
  const left = (await admin.retrieveUserConsents(user.id)).response.userConsents.map((c) => c.id);
  assert.deepEqual(left, [second.response.userConsent.id]);
  await admin.deleteConsent(other.response.consent.id);
});
