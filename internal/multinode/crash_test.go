package multinode

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringFailedLogins: kill -9 a node while it is refusing wrong
// passwords for many accounts at once. After a restart no account has a
// session it never logged in to, and none shows a lastLoginInstant: a
// refused login leaves nothing behind, whenever the process dies
// (security-bar D1/D3, I1-I2).
func TestKillDuringFailedLogins(t *testing.T) {
	c := startCluster(t, 1)
	nd := c.nodes[0]
	const users = 120
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("c7a50000-0000-4000-8000-%012d", i)
		r := nd.do(t, "POST", "/api/user/registration/"+ids[i], map[string]any{
			"user":         map[string]any{"email": fmt.Sprintf("crash-%d@example.com", i), "password": password},
			"registration": map[string]any{"applicationId": raceApp}}, "Authorization", c.apiKey)
		if r.status != 200 {
			t.Fatalf("create user %d: %d %s", i, r.status, r.body)
		}
	}
	// What each account holds before the wrong passwords: the registration
	// through the API answered with a session, as FusionAuth's does.
	type state struct {
		sessions int
		last     any
	}
	snapshot := func(nd *node, i int) state {
		t.Helper()
		r := nd.do(t, "GET", "/api/jwt/refresh?userId="+ids[i], nil, "Authorization", c.apiKey)
		tokens, _ := r.object()["refreshTokens"].([]any)
		u := nd.do(t, "GET", "/api/user/"+ids[i], nil, "Authorization", c.apiKey)
		user, _ := u.object()["user"].(map[string]any)
		if r.status != 200 || u.status != 200 || user == nil {
			t.Fatalf("user %d: %d %s / %d %s", i, r.status, r.body, u.status, u.body)
		}
		return state{len(tokens), user["lastLoginInstant"]}
	}
	before := make([]state, users)
	for i := range before {
		before[i] = snapshot(nd, i)
	}
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= users {
					return
				}
				r, err := send("POST", nd.URL+"/api/login", map[string]any{
					"loginId": fmt.Sprintf("crash-%d@example.com", i), "password": "wrong-password", "applicationId": raceApp})
				if err != nil {
					return // the node is gone
				}
				if r.status != 404 {
					t.Errorf("wrong password for user %d: %d %s", i, r.status, r.body)
				}
				refused.Add(1)
			}
		})
	}
	for refused.Load() < users/3 {
		time.Sleep(time.Millisecond)
	}
	if err := nd.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-nd.done
	wg.Wait()
	t.Logf("%d wrong passwords answered before the kill", refused.Load())

	ks, _ := writeKickstart(t) // already applied: the restarted node skips it
	again := launch(t, "restarted", c.dbURL, ks)
	again.waitReady(t)
	for i := range ids {
		if got := snapshot(again, i); got != before[i] {
			t.Errorf("user %d after the crash: %d session(s), lastLoginInstant %v; before the wrong passwords: %d, %v",
				i, got.sessions, got.last, before[i].sessions, before[i].last)
		}
	}
}
