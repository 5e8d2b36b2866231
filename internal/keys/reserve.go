package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

// The RSA key in reserve: an RS256 key takes tens to hundreds of
// milliseconds of one core to generate (the primes drawn decide), which was
// about half of a fresh start's CPU (issue 13). PrepareRSA starts making
// one on a goroutine, so that a starting node makes it on the spare core
// while it migrates the database, and Init takes it when it finds no RS256
// key. Nothing about the key changes: it is as fresh and as random as one
// made at Init, taken by exactly one caller, and stored and published by
// Init before the node serves, as before.
var reserve struct {
	mu sync.Mutex
	ch chan reservedRSA // nil when no key is being made or waiting
}

type reservedRSA struct {
	key *rsa.PrivateKey
	err error
}

// PrepareRSA starts generating an RSA key for this process's next new RS256
// key (Init on a fresh database, or a rotation), unless one is already being
// made or waiting. At most one key is kept in reserve per process.
func PrepareRSA() {
	reserve.mu.Lock()
	defer reserve.mu.Unlock()
	if reserve.ch != nil {
		return
	}
	ch := make(chan reservedRSA, 1)
	reserve.ch = ch
	go func() {
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		ch <- reservedRSA{key: k, err: err}
	}()
}

// newRSAKey returns the key in reserve (waiting for it when it is still
// being made), or makes one now. The reserve is emptied under the lock, so
// no two callers ever get the same key.
func newRSAKey() (*rsa.PrivateKey, error) {
	reserve.mu.Lock()
	ch := reserve.ch
	reserve.ch = nil
	reserve.mu.Unlock()
	if ch != nil {
		if r := <-ch; r.err == nil {
			return r.key, nil
		}
	}
	return rsa.GenerateKey(rand.Reader, rsaBits)
}
