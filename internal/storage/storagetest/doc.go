// Package storagetest is the conformance suite every storage.Storage backend
// must pass: Run(t, newStorage) exercises every method of the contract,
// including the concurrency promises (exactly one of N rotations of a refresh
// token wins, one Kickstart claim, one active signing key per algorithm, one
// server secret, N concurrent login failures count N).
//
// It imports only storage and the standard library (testing); it must not
// import a backend, so every backend is held to the same test.
package storagetest
