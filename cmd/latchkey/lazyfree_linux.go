package main

import (
	"os"
	"syscall"
)

// execLazyFree replaces the process with the same binary and arguments in
// lazyFreeEnv's environment (same PID, so a supervisor sees no change). It
// returns only when there is nothing to do or the execution failed; the
// process then runs as it is, with the runtime's default.
func execLazyFree() {
	env := lazyFreeEnv(os.Args[1:], os.Environ())
	if env == nil {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env)
}
