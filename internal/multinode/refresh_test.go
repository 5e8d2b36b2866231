package multinode

import (
	"sync"
	"testing"
)

// TestRefreshOnOtherNode: a login on one node refreshes on the other, and the
// successor keeps working on the first; the new access token is accepted by
// both (nothing about a session lives in a node's memory).
func TestRefreshOnOtherNode(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	tests := []struct {
		name       string
		login, ref *node
	}{
		{"login A refresh B", a, b},
		{"login B refresh A", b, a},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := login(t, tc.login, userEmail, raceApp)
			r := tc.ref.do(t, "POST", "/api/jwt/refresh", refresh(l.str("refreshToken")))
			next := r.str("refreshToken")
			if r.status != 200 || next == "" || next == l.str("refreshToken") || r.str("refreshTokenId") != l.str("refreshTokenId") {
				t.Fatalf("refresh on %s: %d %s; want a rotated token of the same family", tc.ref.name, r.status, r.body)
			}
			for _, nd := range []*node{a, b} {
				if s := validate(t, nd, r.str("token")); s != 200 {
					t.Fatalf("%s refuses the refreshed access token: %d", nd.name, s)
				}
			}
			if r2 := tc.login.do(t, "POST", "/api/jwt/refresh", refresh(next)); r2.status != 200 {
				t.Fatalf("the successor does not refresh back on %s: %d %s", tc.login.name, r2.status, r2.body)
			}
		})
	}
}

// TestConcurrentRefreshAcrossNodes: the same refresh token sent to A and B at
// the same moment yields exactly one successor, round after round. Both
// answers carry the same successor (the loser of the storage compare-and-swap
// derives the winner's value, or the grace period returns it), or one of
// them fails; two different successors would fork the family, so one tab
// would later look like a thief. The family must stay usable throughout.
func TestConcurrentRefreshAcrossNodes(t *testing.T) {
	c := startCluster(t, 2)
	const rounds = 50
	l := login(t, c.nodes[0], userEmail, raceApp)
	rt, family := l.str("refreshToken"), l.str("refreshTokenId")
	seen := map[string]bool{rt: true}
	bothOK := 0
	for round := range rounds {
		var wg sync.WaitGroup
		var res [2]response
		var errs [2]error
		start := make(chan struct{})
		for i, nd := range c.nodes {
			wg.Go(func() {
				<-start
				res[i], errs[i] = send("POST", nd.URL+"/api/jwt/refresh", refresh(rt))
			})
		}
		close(start)
		wg.Wait()
		successors := map[string]bool{}
		for i := range res {
			if errs[i] != nil {
				t.Fatalf("round %d: %s: %v", round, c.nodes[i].name, errs[i])
			}
			switch res[i].status {
			case 200:
				if res[i].str("refreshTokenId") != family {
					t.Fatalf("round %d: %s answered another family: %s", round, c.nodes[i].name, res[i].body)
				}
				successors[res[i].str("refreshToken")] = true
			case 404:
			default:
				t.Fatalf("round %d: %s answered %d %s", round, c.nodes[i].name, res[i].status, res[i].body)
			}
		}
		if len(successors) != 1 {
			t.Fatalf("round %d: %d distinct successors (A %d %s, B %d %s); want exactly one",
				round, len(successors), res[0].status, res[0].body, res[1].status, res[1].body)
		}
		if res[0].status == 200 && res[1].status == 200 {
			bothOK++
		}
		for next := range successors {
			if seen[next] {
				t.Fatalf("round %d: successor repeats an earlier value", round)
			}
			seen[next], rt = true, next
		}
	}
	t.Logf("%d of %d rounds: both nodes answered 200 with the same successor", bothOK, rounds)
	if r := c.nodes[1].do(t, "POST", "/api/jwt/refresh", refresh(rt)); r.status != 200 {
		t.Fatalf("family unusable after the races: %d %s", r.status, r.body)
	}
}

// TestReuseRevokesFamilyOnBothNodes: presenting on B a value that A rotated
// twice since is reuse (a stolen copy; only the immediately previous value
// has a grace period): the whole family is revoked, so neither node accepts
// the current value any more. A second session of the same user is
// untouched.
func TestReuseRevokesFamilyOnBothNodes(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	other := login(t, b, userEmail, strictApp).str("refreshToken")
	old := login(t, a, userEmail, strictApp).str("refreshToken")
	current := old
	for range 2 {
		r := a.do(t, "POST", "/api/jwt/refresh", refresh(current))
		if r.status != 200 {
			t.Fatalf("rotation on A: %d %s", r.status, r.body)
		}
		current = r.str("refreshToken")
	}
	if r := b.do(t, "POST", "/api/jwt/refresh", refresh(old)); r.status != 404 {
		t.Fatalf("reuse on B: %d %s; want 404", r.status, r.body)
	}
	tests := []struct {
		name string
		nd   *node
	}{{"A", a}, {"B", b}}
	for _, tc := range tests {
		t.Run("current value refused on "+tc.name, func(t *testing.T) {
			if r := tc.nd.do(t, "POST", "/api/jwt/refresh", refresh(current)); r.status != 404 {
				t.Fatalf("revoked family still refreshes on %s: %d %s", tc.name, r.status, r.body)
			}
		})
	}
	if r := a.do(t, "POST", "/api/jwt/refresh", refresh(other)); r.status != 200 {
		t.Fatalf("an unrelated session was revoked too: %d %s", r.status, r.body)
	}
}

// TestTenTabsWithDefaultSettings: ten refreshes of one OneTimeUse cookie at
// once, spread over both nodes, with the application's default settings
// (no grace period configured), round after round: every answer is 200 with
// the same successor and the family is never revoked (issue 15; FusionAuth's
// grace 0 would revoke it: docs/decisions.md "A retry window by default").
func TestTenTabsWithDefaultSettings(t *testing.T) {
	c := startCluster(t, 2)
	rt := login(t, c.nodes[0], userEmail, defaultsApp).str("refreshToken")
	for round := range 5 {
		var wg sync.WaitGroup
		res := make([]response, 10)
		errs := make([]error, 10)
		start := make(chan struct{})
		for i := range res {
			wg.Go(func() {
				<-start
				res[i], errs[i] = send("POST", c.nodes[i%2].URL+"/api/jwt/refresh", map[string]any{},
					"Cookie", "refresh_token="+rt)
			})
		}
		close(start)
		wg.Wait()
		next := ""
		for i := range res {
			if errs[i] != nil || res[i].status != 200 {
				t.Fatalf("round %d, tab %d: %v %d %s", round, i, errs[i], res[i].status, res[i].body)
			}
			if next == "" {
				next = res[i].str("refreshToken")
			}
			if res[i].str("refreshToken") != next {
				t.Fatalf("round %d: two successors, the family forked", round)
			}
		}
		rt = next
	}
}
