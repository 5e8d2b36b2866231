package server_test

import (
	"context"
	"math"
	"net/url"
	"testing"
	"time"
)

// TestConsoleLockRefusesDurationsNotOffered: a lock whose duration is not
// one the form offers (nothing, a negative or zero number, a word, markup)
// is refused next to the duration field, and nothing happens: no action is
// taken on alice and she still logs in. It used to become a lock until
// unlocked.
func TestConsoleLockRefusesDurationsNotOffered(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	lock := url.Values{"csrf": {token}, "confirm": {"yes"}}
	c.refuseField(t, "/admin/users/"+aliceID+"/lock", lock, "duration", "") // the field sent empty
	wantFieldError(t, "lock without a duration", c.post("/admin/users/"+aliceID+"/lock", lock), "duration")
	for _, bad := range []string{"-1", "0", "abc", "<script>", "Never", "never ", "1h0", "2h", "9223372036854775807"} {
		c.refuseField(t, "/admin/users/"+aliceID+"/lock", lock, "duration", bad)
	}
	logs, err := s.Store.ListUserActionLogs(context.Background(), aliceID)
	must(t, err)
	if len(logs) != 0 {
		t.Fatalf("a refused lock took an action on alice: %+v", logs)
	}
	aliceCanLogIn(t, s)
}

// TestConsoleLockTakesEachOfferedDuration: each duration the lock form
// offers locks alice until now plus that duration ("never": until
// unlocked), and unlocking lets her in again.
func TestConsoleLockTakesEachOfferedDuration(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	for duration, want := range map[string]int64{
		"1h":    s.Clock.Now().Add(time.Hour).UnixMilli(),
		"1d":    s.Clock.Now().Add(24 * time.Hour).UnixMilli(),
		"7d":    s.Clock.Now().Add(7 * 24 * time.Hour).UnixMilli(),
		"30d":   s.Clock.Now().Add(30 * 24 * time.Hour).UnixMilli(),
		"never": math.MaxInt64,
	} {
		t.Run(duration, func(t *testing.T) {
			res := c.post("/admin/users/"+aliceID+"/lock", url.Values{"csrf": {token}, "confirm": {"yes"}, "duration": {duration}})
			wantConsoleStatus(t, "lock", res, 303)
			wantConsoleStatus(t, "alice's login while locked", s.login(storeApp, nil), 409)
			logs, err := s.Store.ListUserActionLogs(context.Background(), aliceID)
			must(t, err)
			var active []int64
			for _, l := range logs {
				if l.ActiveAt(s.Clock.Now().UnixMilli()) {
					active = append(active, l.Expiry)
				}
			}
			if len(active) != 1 || active[0] != want {
				t.Fatalf("expiries of the locks in force %v, want [%d]", active, want)
			}
			wantConsoleStatus(t, "unlock", c.post("/admin/users/"+aliceID+"/unlock", url.Values{"csrf": {token}}), 303)
			aliceCanLogIn(t, s)
		})
	}
}
