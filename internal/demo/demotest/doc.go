// Package demotest starts `latchkey demo` (demo.Run) for tests: the demo's
// own end-to-end test and the browser walk in e2e share it, so there is one
// way to run the three servers on port 0 and wait until they serve.
// WrapIdentity puts a test's middleware in front of the identity server's
// public URL, so a browser test can count and order what reaches it.
//
// It is imported only by tests. Like internal/demo it is wiring, not a demo
// application, so it may import internal/demo (and through it internal/app);
// the demo applications must not import it (internal/archtest).
package demotest
