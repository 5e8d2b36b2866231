// Package app wires latchkey together: config -> storage -> default tenant
// and system configuration -> signing keys -> auth -> HTTP server ->
// Kickstart, and runs the HTTP server with timeouts and a graceful drain.
// App's Open/Run/Close let tests start the real program on port 0 with a
// temporary database (see internal/apptest).
//
// It may import every internal package except internal/demo and cmd; nothing
// but cmd and apptest may import it.
package app
