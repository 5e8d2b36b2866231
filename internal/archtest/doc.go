// Package archtest holds only tests: it enforces the dependency direction the
// design promises (auth, keys, manage, mail and outbox free of net/http; server
// depending on manage, auth and keys and nothing depending on server but app;
// storage free of drivers; demos, the mail catcher and jwtverify free of
// latchkey internals; lambdas free of sockets, processes and latchkey
// internals) with `go list -deps`.
package archtest
