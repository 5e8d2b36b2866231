package auth

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// withLoginFailedHook has the tenant send user.login.failed to a webhook,
// so a real account's refusal has an event to store.
func withLoginFailedHook(w *world) {
	w.tenant.EventConfiguration.Events = map[string]storage.EventConfigurationData{
		events.UserLoginFailed: {Enabled: true}}
}

// TestRefusalsCommitAlike is "equal timing" counted rather than timed: a
// wrong password for a real account and any password for a login id that
// names nobody make the same storage writes, before and after the hash, on
// the first failure and on later ones, with and without a
// user.login.failed webhook (whose event only the real account's refusal
// carries): each settles its charge as a failure in one write after the
// hash, the real account's with its event. Before, the real account's refusal committed its event in a
// write the unknown id never made. Both also make the reads a found account
// makes before its hash (login preventions, second-factor methods): before,
// an unknown id skipped them and a real account's first failure measured
// 6–8 % slower (latchkey bench --mode timing).
func TestRefusalsCommitAlike(t *testing.T) {
	for _, hook := range []bool{false, true} {
		var opts []func(*world)
		if hook {
			opts = append(opts, withLoginFailedHook)
		}
		e := newEnv(t, opts...)
		if hook {
			must(t, e.store.CreateWebhook(e.ctx, storage.Webhook{ID: "11111111-0000-4000-8000-000000000001", URL: "http://127.0.0.1:9/hook",
				Global: true, EventsEnabled: map[string]bool{events.UserLoginFailed: true}}))
			e.svc.cfg.Events = events.New(events.Config{Store: e.store, Tenant: e.store.GetTenant, Now: e.clock.Now, CacheTTL: -1})
		}
		type writes struct{ reserved, before, after, accountReads int64 }
		count := func(loginID string) writes {
			p := e.watch()
			defer func() { e.svc.cfg.Store = e.store; e.svc.pw = e.hasher }()
			_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: loginID, Password: "wrong", ApplicationID: appID, IPAddress: "192.0.2.1"})
			wantErr(t, err, ErrInvalidCredentials)
			return writes{p.reserved.Load(), p.beforeHash.Load(), p.afterHash.Load(), p.accountReads.Load()}
		}
		for i := range 2 { // tooManyAttempts is 3: the first and a later failure, both unlocked
			real, unknown := count(userEmail), count("nobody@example.test")
			if real != unknown {
				t.Fatalf("webhook %v, failure %d: real account %+v, unknown id %+v", hook, i+1, real, unknown)
			}
			want := writes{reserved: 1, after: 1, accountReads: 2}
			if real != want {
				t.Fatalf("webhook %v, failure %d: %+v, want %+v", hook, i+1, real, want)
			}
		}
		if hook {
			d, err := e.store.OutboxDepth(e.ctx, events.Queue)
			must(t, err)
			if d.Pending != 2 {
				t.Fatalf("%+v webhook messages stored, want 2 pending (the real account's refusals only)", d)
			}
		}
	}
}
