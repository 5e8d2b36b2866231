// What the test files here share: the client class, rejected, and env, which reads a
// variable the Go test that runs the file (ts_test.go, events_test.go,
// oauth_test.go) passes, and fails clearly when a file is run by hand.
import assert from 'node:assert/strict';
import pkg from '@fusionauth/typescript-client';

export const { FusionAuthClient } = pkg;

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./compat/ts`);
  return v;
};

// rejected awaits a promise the client must reject (any non-2xx) and returns
// the ClientResponse it rejected with.
export async function rejected(p) {
  try {
    const res = await p;
    assert.fail(`expected a rejection, got ${res.statusCode} ${JSON.stringify(res.response)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return e;
  }
}
