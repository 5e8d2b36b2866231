// Package archtest holds only tests: it enforces the dependency direction the
// design promises (auth free of net/http, storage free of drivers, demos and
// jwtverify free of latchkey internals, lambdas free of sockets, processes
// and latchkey internals) with `go list -deps`.
package archtest
