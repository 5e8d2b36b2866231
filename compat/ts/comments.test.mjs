// FusionAuth's TypeScript client against latchkey's User Comment API:
// commentOnUser, retrieveUserComments and searchUserComments, and the
// client's error for a refused comment. Run by ts_test.go after
// flow.test.mjs (the Kickstart's user, kick@example.com, is the one
// commented on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

test('user comments through FusionAuth\'s TypeScript client', async () => {
  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;
  const added = await admin.commentOnUser({ userComment: { userId: user.id, commenterId: user.id, comment: 'First note' } });
  assert.equal(added.statusCode, 200);
  assert.equal(added.response.userComment.comment, 'First note');
  assert.equal(added.response.userComment.userId, user.id);
  assert.ok(added.response.userComment.id && added.response.userComment.insertInstant > 0);
  await admin.commentOnUser({ userComment: { userId: user.id, commenterId: user.id, comment: 'Second note' } });

  const listed = await admin.retrieveUserComments(user.id);
  assert.deepEqual(listed.response.userComments.map((c) => c.comment), ['First note', 'Second note']);

  const found = await admin.searchUserComments({ search: { userId: user.id, comment: 'second', numberOfResults: 10 } });
  assert.equal(found.response.total, 1);
  assert.equal(found.response.userComments[0].id, listed.response.userComments[1].id);

  try {
    await admin.commentOnUser({ userComment: { userId: user.id, commenterId: user.id, comment: '' } });
    assert.fail('a blank comment was taken');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors['userComment.comment'][0].code, '[blank]userComment.comment');
  }
});
