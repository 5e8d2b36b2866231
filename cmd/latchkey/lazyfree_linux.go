package main

import (
	"os"
	"syscall"
)

// execLazyFree replaces the process with the same binary and arguments in
// lazyFreeEnv's environment; the PID stays, so a supervisor sees no change.
// It returns nil when there was nothing to do, and the error when the
// execution failed: the process then runs as it is, with the runtime's
// default.
func execLazyFree() error {
	// /proc/self/exe is the file this process runs, even if its path now
	// names another (an upgrade in progress).
	return execLazyFreeWith("/proc/self/exe", os.Args, os.Environ())
}

// execLazyFreeWith executes exe with args in lazyFreeEnv(args[1:],
// environ) when that is not nil. syscall.Exec puts back the soft
// RLIMIT_NOFILE that the Go runtime raised at start before it executes, and
// a failed execution leaves it lowered (often 1024 under systemd, too few
// for a server's connections), so it is raised again here.
func execLazyFreeWith(exe string, args, environ []string) error {
	env := lazyFreeEnv(args[1:], environ)
	if env == nil {
		return nil
	}
	var nofile syscall.Rlimit
	limitErr := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
	err := syscall.Exec(exe, args, env)
	if limitErr == nil {
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nofile)
	}
	return err
}
