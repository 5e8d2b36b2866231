package main

import "strings"

// lazyFree is the GODEBUG setting `latchkey serve` and `latchkey demo` run
// with unless the operator's GODEBUG says otherwise: the Go runtime hands
// freed heap pages back to the kernel with MADV_FREE instead of
// MADV_DONTNEED, so a page it reuses before the kernel needs it is still
// mapped. With MADV_DONTNEED every reuse faults the page in again, and a
// server hashing argon2id (19 MiB per hash, which the collector frees and
// the runtime returns) faulted 66–475 pages per login, which cost its
// logins 60 ms of CPU instead of 26 on this repository's 2-CPU VM, where a
// fault that replaces a page interrupts the other CPU
// (docs/decisions.md "Freed memory is returned lazily"). The cost: the
// process's RSS keeps pages it freed until the kernel reclaims them under
// memory pressure (docs/deploy.md). The runtime reads the setting once, at
// start, so it cannot be set from inside the process: main executes the
// binary again with it (lazyFreeEnv).
const lazyFree = "madvdontneed=0"

// lazyFreeEnv returns the environment to execute the process again with,
// for the long-running commands (serve, demo) when GODEBUG does not already
// name madvdontneed; nil means run as is. The setting in the new
// environment is what stops a second execution.
func lazyFreeEnv(args, environ []string) []string {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "demo") {
		return nil
	}
	godebug, at := "", -1
	for i, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug, at = v, i
		}
	}
	for _, setting := range strings.Split(godebug, ",") {
		if strings.HasPrefix(strings.TrimSpace(setting), "madvdontneed=") {
			return nil
		}
	}
	env := append([]string(nil), environ...)
	if at < 0 {
		return append(env, "GODEBUG="+lazyFree)
	}
	if godebug == "" {
		env[at] = "GODEBUG=" + lazyFree
	} else {
		env[at] = "GODEBUG=" + godebug + "," + lazyFree
	}
	return env
}
