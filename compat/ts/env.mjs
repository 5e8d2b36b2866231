// What the test files here share: the client class and env, which reads a
// variable the Go test that runs the file (ts_test.go, events_test.go,
// oauth_test.go) passes, and fails clearly when a file is run by hand.
import pkg from '@fusionauth/typescript-client';

export const { FusionAuthClient } = pkg;

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./compat/ts`);
  return v;
};
