// FusionAuth's TypeScript client against latchkey's Event Log API:
// searchEventLogs and retrieveEventLog, and the client's error for an
// unknown entry. Run by ts_test.go, which stores the two entries searched
// here (what a refused email and a failed webhook delivery write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

test('the event log through FusionAuth\'s TypeScript client', async () => {
  const all = await admin.searchEventLogs({ search: { type: 'Error', numberOfResults: 10 } });
  assert.equal(all.statusCode, 200);
  assert.ok(all.response.total >= 2);

  const found = await admin.searchEventLogs({ search: { message: 'SMTP', type: 'Error', orderBy: 'insertInstant DESC' } });
  assert.equal(found.response.total, 1);
  const entry = found.response.eventLogs[0];
  assert.equal(typeof entry.id, 'number');
  assert.equal(entry.type, 'Error');
  assert.match(entry.message, /Failed to send the email/);
  assert.ok(entry.insertInstant > 0);

  const one = await admin.retrieveEventLog(entry.id);
  assert.deepEqual(one.response.eventLog, entry);

  try {
    await admin.retrieveEventLog(entry.id + 1000000);
    assert.fail('an unknown entry was found');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 404);
  }
});
