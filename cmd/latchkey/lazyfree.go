package main

import (
	"log/slog"
	"strconv"
	"strings"
)

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
//
// `latchkey bench` runs with it too: its hash ceiling is the server's hash
// without the rest of a login, so it must hash as the server does. Without
// it the ceiling's argon2id hashes faulted their memory in again
// throughout the measured seconds, 3.9–9.7 % of its profile's samples, which the server no
// longer pays (docs/performance.md, 3 December 2026, 20:20 UTC).
const lazyFree = "madvdontneed=0"

// lazyFreeEnv returns the environment to execute the process again with,
// for the long-running commands (serve, demo) and bench when GODEBUG does not already
// set madvdontneed; nil means run as is. The setting in the new environment
// is what stops a second execution.
func lazyFreeEnv(args, environ []string) []string {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "demo" && args[0] != "bench") {
		return nil
	}
	godebug, at := firstGODEBUG(environ)
	if _, set := madvdontneed(godebug); set {
		return nil
	}
	env := append([]string(nil), environ...)
	switch {
	case at < 0:
		return append(env, "GODEBUG="+lazyFree)
	case godebug == "":
		env[at] = "GODEBUG=" + lazyFree
	default:
		env[at] = "GODEBUG=" + godebug + "," + lazyFree
	}
	return env
}

// firstGODEBUG is GODEBUG's value as the runtime reads it (the first entry
// of the environment), and its index (-1 when there is none).
func firstGODEBUG(environ []string) (string, int) {
	for i, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			return v, i
		}
	}
	return "", -1
}

// madvdontneed is the value GODEBUG sets for madvdontneed and whether it
// sets one, parsed as the runtime does: fields split at commas, untrimmed
// (" madvdontneed=0" names nothing), an integer value, the last one wins.
func madvdontneed(godebug string) (value int, set bool) {
	for _, field := range strings.Split(godebug, ",") {
		if v, ok := strings.CutPrefix(field, "madvdontneed="); ok {
			if n, err := strconv.ParseInt(v, 10, 32); err == nil {
				value, set = int(n), true
			}
		}
	}
	return value, set
}

// lazyFreeFailed is why main's execution of the binary with lazyFree did
// not happen (nil when it was not needed or succeeded); serve and demo log
// it once they have a logger (logLazyFree).
var lazyFreeFailed error

// logLazyFree says at start whether freed memory is returned lazily: an
// operator reading RSS needs to know which, and a failed execution must
// not go unnoticed.
func logLazyFree(logger *slog.Logger, getenv func(string) string) {
	switch v, set := madvdontneed(getenv("GODEBUG")); {
	case lazyFreeFailed != nil:
		logger.Warn("freed memory is returned to the kernel at once (MADV_DONTNEED): could not run again with GODEBUG="+lazyFree,
			"err", lazyFreeFailed)
	case set && v == 0:
		logger.Info("freed memory is returned to the kernel lazily (GODEBUG=" + lazyFree + ")")
	case set:
		logger.Info("freed memory is returned to the kernel at once (GODEBUG madvdontneed=" + strconv.Itoa(v) + ")")
	}
}
