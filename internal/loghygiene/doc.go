// Package loghygiene is a test helper for security-bar.md G1: it captures a
// latchkey logger's output at debug level, reports secrets that leaked into
// it (passwords, refresh tokens, JWTs, API keys, Cookie and Authorization
// values), lines that do not start a record (a forged line from CR/LF in
// user input), and parses the "security event" records so a test can check
// that each carries user, application and ip.
//
// It is used by tests only. It must import nothing from latchkey, so that
// any package's tests can use it without an import cycle.
package loghygiene
