package bench

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The setup of a run (creating its users, logging them in) hashes a
// password per request, and a server just started is slow to hash its
// first memory-hard passwords. These tests make the server as busy as it
// gets without running a KDF: the test holds every hashing turn of the
// process (password.HoldTurnsForTest), so each user creation waits, then
// gives them back. They must not run in parallel with tests that hash.

// onMessage is a log handler that calls fn for each record with message msg.
type onMessage struct {
	msg string
	fn  func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.fn()
	}
	return nil
}
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }

// TestSetupSendsBusyAnswersAgain: a server that answers a user's creation
// 503 with Retry-After (its wait for a hashing turn ended) gets the request
// again after that delay instead of failing the run; the report says so.
// The turns come back when the server has refused one creation.
func TestSetupSendsBusyAnswersAgain(t *testing.T) {
	held := password.HoldTurnsForTest()
	release := sync.OnceFunc(held.Release)
	t.Cleanup(release)
	in := apptest.Start(t, apptest.Options{
		Tenant: func(tn *storage.Tenant) { tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000 },
		// Each request waits this long for a turn, then is answered 503.
		Limits: server.Limits{HashWait: 10 * time.Millisecond},
		Logger: slog.New(onMessage{"password verification refused: server busy", release}),
	})
	// Two clients: at most 2×GOMAXPROCS hashes take turns at once, so even
	// on one CPU no measured login waits for a turn (and its 10 ms).
	rep, err := Run(context.Background(), opts(in, OpLogin, 2, 6))
	if err != nil {
		t.Fatalf("the run failed on a busy server: %v", err)
	}
	if rep.OK != 6 {
		t.Fatalf("%d of %d logins ok (errors %v)", rep.OK, rep.Requests, rep.Errors)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "answered setup requests busy") }) {
		t.Errorf("notes %q do not say the server answered setup busy", rep.Notes)
	}
	assertCleanedUp(t, in, rep, 2)
}

// TestSetupOutlastsTheRequestTimeout: a user's creation that takes longer
// than the run's per-request timeout (--timeout) is waited for: the test
// gives the hashing turns back only after a creation has waited for one
// longer than that timeout.
func TestSetupOutlastsTheRequestTimeout(t *testing.T) {
	held := password.HoldTurnsForTest()
	release := sync.OnceFunc(held.Release)
	t.Cleanup(release)
	in := apptest.Start(t, apptest.Options{
		Tenant: func(tn *storage.Tenant) { tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000 },
		Limits: server.Limits{HashWait: 5 * time.Minute},
	})
	o := opts(in, OpLogin, 3, 6)
	o.Timeout = time.Second
	type result struct {
		rep Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(context.Background(), o)
		done <- result{rep, err}
	}()
	// A creation waits for a turn (or the run already ended).
	var res *result
	for held.Waiting() == 0 && res == nil {
		select {
		case r := <-done:
			res = &r
		case <-time.After(time.Millisecond):
		}
	}
	if res == nil {
		time.Sleep(o.Timeout + 500*time.Millisecond) // past the per-request timeout: ordering, not a measurement
		release()
		r := <-done
		res = &r
	}
	if res.err != nil {
		t.Fatalf("the run failed while its users' creation waited longer than --timeout %s: %v", o.Timeout, res.err)
	}
	if res.rep.OK != 6 {
		t.Fatalf("%d of %d logins ok (errors %v)", res.rep.OK, res.rep.Requests, res.rep.Errors)
	}
	assertCleanedUp(t, in, res.rep, 3)
}
