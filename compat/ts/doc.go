// Package tscompat runs FusionAuth's official TypeScript client
// (@fusionauth/typescript-client, pinned in package.json/package-lock.json)
// against a real latchkey started with apptest, to prove the wire format is
// the one that client expects: flow.test.mjs holds the calls and assertions,
// ts_test.go starts the server and runs `node --test`.
//
// It owns nothing but tests. It may import internal/apptest and
// internal/manage (for DefaultTenantID); nothing imports it.
package tscompat
