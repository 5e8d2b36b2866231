package multinode

import (
	"sync"
	"testing"
)

// TestConcurrentGuessesAcrossNodes: 16 wrong passwords for one account sent
// at once, alternating between two nodes, get at most tooManyAttempts (5,
// the default) password checks (404) between them; the rest are refused as
// locked (409) before their hash, because each node reserves the attempt in
// the shared database before hashing.
func TestConcurrentGuessesAcrossNodes(t *testing.T) {
	c := startCluster(t, 2)
	const n = 16
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		nd := c.nodes[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := send("POST", nd.URL+"/api/login", map[string]any{"loginId": lockEmail, "password": "wrong-password", "applicationId": raceApp})
			codes[i], errs[i] = r.status, err
		}()
	}
	close(start)
	wg.Wait()
	checked := 0
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Fatalf("attempt %d: %v", i, errs[i])
		case codes[i] == 404:
			checked++
		case codes[i] != 409:
			t.Fatalf("attempt %d answered %d, want 404 or 409 (answers %v)", i, codes[i], codes)
		}
	}
	if checked != 5 {
		t.Fatalf("%d of %d concurrent guesses on two nodes had their password checked, want 5; answers %v", checked, n, codes)
	}
}

// TestConcurrentCorrectLoginsAcrossNodesAreNeverLocked: correct logins of
// one account sent at once, alternating between two nodes, all succeed,
// round after round, and leave the account unlocked. Each login charges the
// lockout counter before its hash and gives the charge back in its write;
// each node lets at most tooManyAttempts−1 (4) of its own be unsettled, so
// the two nodes together can hold 8 unsettled charges on a counter of 5.
// The charge that found the counter full of them used to be refused 409 as
// locked; now a full counter of charges still in flight is waited on, and
// only settled failures lock.
func TestConcurrentCorrectLoginsAcrossNodesAreNeverLocked(t *testing.T) {
	c := startCluster(t, 2)
	const rounds, n = 4, 12
	for round := range rounds {
		codes := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			nd := c.nodes[i%2]
			wg.Go(func() {
				<-start
				r, err := send("POST", nd.URL+"/api/login", map[string]any{"loginId": lockEmail, "password": password, "applicationId": raceApp})
				codes[i], errs[i] = r.status, err
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, login %d: %v", round, i, errs[i])
			}
			if codes[i] != 200 {
				t.Fatalf("round %d: %d correct logins at once on two nodes answered %v, want all 200", round, n, codes)
			}
		}
	}
}
