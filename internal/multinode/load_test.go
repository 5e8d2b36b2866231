package multinode

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load bounds: each scenario stops at whichever comes first.
const (
	loadDuration = 3 * time.Second
	loadMaxReqs  = 50000
	loadClients  = 16
)

// TestThroughput measures refresh and login throughput on PostgreSQL with
// one and with two nodes (issue #5's benchmark; numbers for
// docs/performance.md). It is a bounded load loop against 127.0.0.1, not a
// pass/fail test, so it runs only with LATCHKEY_MULTINODE_LOAD=1:
//
//	LATCHKEY_MULTINODE_LOAD=1 go test -run TestThroughput -v ./internal/multinode/
//
// The load generator, the nodes and PostgreSQL share the machine's cores,
// so the numbers are a floor for a real deployment.
func TestThroughput(t *testing.T) {
	if os.Getenv("LATCHKEY_MULTINODE_LOAD") != "1" {
		t.Skip("set LATCHKEY_MULTINODE_LOAD=1 to run the load loop")
	}
	c := startCluster(t, 2)
	// The same program on the default backend, for comparison: one node on
	// a SQLite file (WAL, synchronous=FULL).
	ks, _ := writeKickstart(t)
	lite := launch(t, "sqlite", filepath.Join(t.TempDir(), "latchkey.db"), ks)
	lite.waitReady(t)
	t.Logf("machine: %s/%s, %d CPUs; %d concurrent clients, %s or %d requests per scenario",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadClients, loadDuration, loadMaxReqs)
	scenarios := []struct {
		name  string
		nodes []*node
		login bool
	}{
		{"refresh, 1 node, SQLite", []*node{lite}, false},
		{"refresh, 1 node", c.nodes[:1], false},
		{"refresh, 2 nodes", c.nodes, false},
		{"login, 1 node, SQLite", []*node{lite}, true},
		{"login, 1 node", c.nodes[:1], true},
		{"login, 2 nodes", c.nodes, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Each client owns one session (refresh family) and sends its
			// requests to the nodes in turn, as a round-robin balancer would.
			tokens := make([]string, loadClients)
			for i := range tokens {
				tokens[i] = login(t, sc.nodes[i%len(sc.nodes)], userEmail, raceApp).str("refreshToken")
			}
			var sent, failed atomic.Int64
			var lat [loadClients][]time.Duration
			deadline := time.Now().Add(loadDuration)
			start := time.Now()
			var wg sync.WaitGroup
			for i := range loadClients {
				wg.Go(func() {
					for k := 0; time.Now().Before(deadline) && sent.Add(1) <= loadMaxReqs; k++ {
						nd := sc.nodes[(i+k)%len(sc.nodes)]
						t0 := time.Now()
						var r response
						var err error
						if sc.login {
							r, err = send("POST", nd.URL+"/api/login", map[string]any{"loginId": userEmail, "password": password, "applicationId": raceApp})
						} else {
							r, err = send("POST", nd.URL+"/api/jwt/refresh", refresh(tokens[i]))
						}
						lat[i] = append(lat[i], time.Since(t0))
						if err != nil || r.status != 200 {
							failed.Add(1)
							continue
						}
						if !sc.login {
							tokens[i] = r.str("refreshToken")
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			var all []time.Duration
			for i := range lat {
				all = append(all, lat[i]...)
			}
			n := len(all)
			if n == 0 {
				t.Fatal("no request completed")
			}
			p50, p99 := percentile(all, 0.50), percentile(all, 0.99)
			t.Logf("%-16s %6d requests in %s: %7.0f req/s, p50 %s, p99 %s, %d failed",
				sc.name, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
				p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), failed.Load())
			if failed.Load() > 0 {
				t.Errorf("%d requests failed under load", failed.Load())
			}
		})
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}
