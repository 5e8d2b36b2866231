package password

// HeldTurns is every hashing turn of the process, taken by a test
// (HoldTurnsForTest) so that each Hash and Verify has to wait: the server
// is as busy as it gets, with no KDF running.
type HeldTurns struct{ n int }

// HoldTurnsForTest takes every hashing turn, waiting for those in use, and
// returns them held. It is for tests of what a caller does when its wait
// for a turn ends first; a test that uses it must not run in parallel with
// tests that hash. Release gives the turns back.
func HoldTurnsForTest() *HeldTurns {
	for range cap(turns) {
		turns <- struct{}{}
	}
	return &HeldTurns{n: cap(turns)}
}

// Waiting reports how many callers wait for a turn now: a test that
// started a hash knows from it, without sleeping, that the hash waits.
func (h *HeldTurns) Waiting() int { return int(waiting.Load()) }

// Release gives every held turn back; a second call does nothing.
func (h *HeldTurns) Release() {
	for range h.n {
		<-turns
	}
	h.n = 0
}
