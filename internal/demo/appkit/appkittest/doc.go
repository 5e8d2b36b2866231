// Package appkittest is the demo applications' test kit: a signer that mints
// tokens the way latchkey does, a real jwtverify.Verifier fed by a test JWKS,
// and a one-call HTTP client. It is imported only by tests and, like the
// apps, imports nothing of latchkey but jwtverify and appkit
// (internal/archtest).
package appkittest
