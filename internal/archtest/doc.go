// Package archtest holds only tests: it enforces the dependency direction the
// design promises (auth, mail and outbox free of net/http, storage free of
// drivers, demos, the mail catcher and jwtverify free of latchkey internals)
// with `go list -deps`.
package archtest
