// FusionAuth's TypeScript client against latchkey's Send an Email API:
// sendEmail to a user and an address with a stored template, and the
// client's error for an unknown user. Run by ts_test.go after
// flow.test.mjs (the Kickstart's user, kick@example.com, is mailed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

test('sendEmail through FusionAuth\'s TypeScript client', async () => {
  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;
  const template = (await admin.createEmailTemplate(null, {
    emailTemplate: {
      name: 'ts send', defaultSubject: 'Order ${(requestData.order)!""}',
      defaultTextTemplate: 'Hello ${(user.email)!"friend"}', defaultHtmlTemplate: '<p>Hello</p>',
    },
  })).response.emailTemplate;

  const sent = await admin.sendEmail(template.id, {
    userIds: [user.id],
    toAddresses: [{ address: 'accounting@example.com', display: 'Accounting' }],
    ccAddresses: ['cc@example.com'],
    requestData: { order: 42 },
  });
  assert.equal(sent.statusCode, 202);
  assert.deepEqual(sent.response, {}, 'every message queued');

  try {
    await admin.sendEmail(template.id, { userIds: ['00000000-0000-4000-8000-00000000dead'] });
    assert.fail('a send to an unknown user was taken');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors.userIds[0].code, '[invalid]userIds');
  }
});
