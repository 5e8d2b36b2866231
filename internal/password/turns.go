package password

import "runtime"

// turns bounds how many password hashes this process computes at once, at
// 2×GOMAXPROCS (as many as the CPUs can usefully run, and a little more so
// none idles between two). Every hash and verification takes a turn, so the
// bound holds whoever calls: the server's hashing gate admits requests, and
// a login keeps its place there while its attempt's reservation commits,
// which is no work for the CPUs; the turn is held only while the KDF runs,
// which is what costs CPU and, for argon2id, 19 MiB of memory each.
// Holders wait for nothing, so a wait for a turn always ends.
var turns = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// takeTurn waits for a turn and returns its release.
func takeTurn() (release func()) {
	turns <- struct{}{}
	return func() { <-turns }
}
