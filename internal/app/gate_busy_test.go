package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginsPastTheGateWaitForATurnAreRefusedUncharged is the gate's
// deadline on the real App over TCP: the gate lets a request wait at most
// HashWait (here a nanosecond) and an admitted login waits no longer for a
// hashing turn. With every turn held (the CPUs busy with other hashes, as
// a burst of API-key user creates makes them), logins at the default
// tenant's threshold − 1 (tooManyAttempts 5, four failures) are answered
// the gate's 503 with Retry-After, one after another, and none is counted:
// the counter still holds four failures, and the correct password then
// logs in (200, not the 409 of a locked account). Before, an admitted login
// waited for its turn however long it took.
func TestLoginsPastTheGateWaitForATurnAreRefusedUncharged(t *testing.T) {
	var st storage.Storage
	r := start(t, app.Options{Limits: server.Limits{HashWait: time.Nanosecond}}, nil,
		func(s storage.Storage) storage.Storage { st = s; return s })
	ctx := context.Background()
	u, err := st.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: userEmail})
	if err != nil {
		t.Fatal(err)
	}
	key := u.ID + "@127.0.0.1"
	login := "http://" + r.Addr + "/api/login"
	for i := range 4 {
		if res := post(t, login, "application/json", loginBody(userEmail, "wrong"), r.APIKey); res.status != http.StatusNotFound {
			t.Fatalf("failure %d: %d %s", i, res.status, res.body)
		}
	}
	before, err := st.GetLoginFailures(ctx, key)
	if err != nil || before.Count != 4 {
		t.Fatalf("counter after four failures: %+v, %v", before, err)
	}
	held := password.HoldTurnsForTest()
	defer held.Release()
	for i, pass := range []string{"guess-1", "guess-2", userPass, "guess-3", "guess-4", "guess-5"} {
		res := post(t, login, "application/json", loginBody(userEmail, pass), r.APIKey)
		if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "1" {
			t.Fatalf("busy login %d: %d %s (Retry-After %q), want 503", i, res.status, res.body, res.header.Get("Retry-After"))
		}
	}
	held.Release()
	after, err := st.GetLoginFailures(ctx, key)
	if err != nil || after.Count != before.Count || !after.LockedUntil.Equal(before.LockedUntil) {
		t.Fatalf("counter after the busy logins %+v (%v), before %+v", after, err, before)
	}
	if res := post(t, login, "application/json", loginBody(userEmail, userPass), r.APIKey); res.status != http.StatusOK {
		t.Fatalf("correct login after the busy ones: %d %s", res.status, res.body)
	}
}
