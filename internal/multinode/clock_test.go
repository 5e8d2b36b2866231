package multinode

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// skewed is a cluster of three nodes whose own clocks read right, two
// minutes ahead and two minutes behind (the hidden test-only setting
// LATCHKEY_TEST_CLOCK_OFFSET), as machines without working NTP do.
func skewed(t *testing.T) (right, ahead, behind *node) {
	t.Helper()
	c := startNodes(t, [][]string{nil, {"LATCHKEY_TEST_CLOCK_OFFSET=120s"}, {"LATCHKEY_TEST_CLOCK_OFFSET=-120s"}})
	return c.nodes[0], c.nodes[1], c.nodes[2]
}

// TestOneClockForTokens: every node dates what it issues by the one clock
// the nodes share (the database's), whatever its own clock says: iat is
// now, so a one-minute token from the node that is ahead is not expired on
// the others, a token from the node that is behind is not born expired,
// and every node accepts every node's fresh token (security-bar D5).
func TestOneClockForTokens(t *testing.T) {
	right, ahead, behind := skewed(t)
	nodes := []*node{right, ahead, behind}
	for _, from := range nodes {
		sent := time.Now()
		tok := login(t, from, userEmail, shortApp).str("token")
		var c struct{ Iat, Exp float64 }
		if err := json.Unmarshal(part(t, tok, 1), &c); err != nil {
			t.Fatal(err)
		}
		if d := c.Iat - float64(sent.Unix()); math.Abs(d) > 5 {
			t.Errorf("%s dates its token %+.0f s from the shared clock", from.name, d)
		}
		for _, on := range nodes {
			if s := validate(t, on, tok); s != 200 {
				t.Errorf("%s refuses a fresh one-minute token from %s: %d", on.name, from.name, s)
			}
		}
	}
}

// TestOneClockForGrace: the grace period is measured on the shared clock.
// A retry right after a rotation is in grace on the node that is ahead too
// (its own clock says two minutes have passed, more than the 60 s window),
// and a replay just after a one-second grace period is reuse on the node
// that is behind (its own clock says the rotation is two minutes in the
// future), so it revokes the family.
func TestOneClockForGrace(t *testing.T) {
	right, ahead, behind := skewed(t)

	rt := login(t, right, userEmail, raceApp).str("refreshToken")
	r := right.do(t, "POST", "/api/jwt/refresh", refresh(rt))
	if r.status != 200 {
		t.Fatalf("rotation: %d %s", r.status, r.body)
	}
	retry := ahead.do(t, "POST", "/api/jwt/refresh", refresh(rt))
	if retry.status != 200 || retry.str("refreshToken") != r.str("refreshToken") {
		t.Fatalf("in-grace retry on the node ahead: %d %s; want the same successor", retry.status, retry.body)
	}
	if r := right.do(t, "POST", "/api/jwt/refresh", refresh(r.str("refreshToken"))); r.status != 200 {
		t.Fatalf("the in-grace retry killed the family: %d %s", r.status, r.body)
	}

	old := login(t, ahead, userEmail, strictApp).str("refreshToken")
	r = ahead.do(t, "POST", "/api/jwt/refresh", refresh(old))
	if r.status != 200 {
		t.Fatalf("rotation on the node ahead: %d %s", r.status, r.body)
	}
	time.Sleep(1500 * time.Millisecond) // past the one-second grace period
	if r := behind.do(t, "POST", "/api/jwt/refresh", refresh(old)); r.status != 404 {
		t.Fatalf("replay after the grace period on the node behind: %d %s; want 404 (reuse)", r.status, r.body)
	}
	if r := right.do(t, "POST", "/api/jwt/refresh", refresh(r.str("refreshToken"))); r.status != 404 {
		t.Fatalf("the family survived a replay after its grace period: %d %s", r.status, r.body)
	}
}

// TestOneClockForLockout: five wrong passwords alternating between the node
// that is ahead and the one that is behind fall into one lockout window and
// lock the account on every node.
func TestOneClockForLockout(t *testing.T) {
	right, ahead, behind := skewed(t)
	for i, nd := range []*node{ahead, behind, ahead, behind, ahead} {
		r := nd.do(t, "POST", "/api/login", map[string]any{"loginId": lockEmail, "password": "wrong-password", "applicationId": raceApp})
		if r.status != 404 && r.status != 409 {
			t.Fatalf("failure %d on %s: %d %s", i+1, nd.name, r.status, r.body)
		}
	}
	for _, nd := range []*node{right, ahead, behind} {
		r := nd.do(t, "POST", "/api/login", map[string]any{"loginId": lockEmail, "password": password, "applicationId": raceApp})
		if r.status != 409 {
			t.Errorf("the right password on %s after five failures: %d, want 409 (locked)", nd.name, r.status)
		}
	}
}
