package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// probe is the real store of an env with its writes watched: it counts the
// attempt reservations (lockout.go: the one write allowed before the hash,
// a lockout counter and nothing else), the other writes that start before
// the password hash returned (none may: a process killed during the hash
// must leave no session and no lastLoginInstant) and the writes after it
// (the part of a login an attacker can time beyond the hash).
type probe struct {
	storage.Storage
	hashed     atomic.Bool
	reserved   atomic.Int64
	beforeHash atomic.Int64
	afterHash  atomic.Int64
	// accountReads counts the reads a found account makes before its hash
	// (login preventions, second-factor methods).
	accountReads atomic.Int64
	hungUpOnce   func() // cancels the caller's context as the hash ends
}

// addrKey is the key of account's lockout counter for the address the
// tests' logins come from (none given: "-").
func addrKey(account string) string { return account + "@" + addressKey("") }

// ipKey is the key of account's counter for 192.0.2.1, the address of
// e.login and e.loginAlice.
func ipKey(account string) string { return account + "@192.0.2.1" }

func (p *probe) ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, cs []storage.LoginCounter) (storage.LoginReservation, error) {
	if p.hashed.Load() {
		p.afterHash.Add(1)
	} else {
		p.reserved.Add(1)
	}
	return p.Storage.ReserveLoginAttempt(ctx, at, heldUntil, cs)
}

func (p *probe) RefundLoginAttempt(ctx context.Context, r storage.LoginReservation) error {
	p.write()
	return p.Storage.RefundLoginAttempt(ctx, r)
}

func (p *probe) SettleLoginFailure(ctx context.Context, at time.Time, r storage.LoginReservation, o []storage.OutboxMessage) (time.Time, error) {
	p.write()
	return p.Storage.SettleLoginFailure(ctx, at, r, o)
}

func (p *probe) EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error {
	p.write()
	return p.Storage.EnqueueOutbox(ctx, msgs...)
}

func (p *probe) LoginPreventions(ctx context.Context, userID string, now int64) ([]storage.UserActionLog, error) {
	p.accountReads.Add(1)
	return p.Storage.LoginPreventions(ctx, userID, now)
}

func (p *probe) ListTwoFactorMethods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error) {
	p.accountReads.Add(1)
	return p.Storage.ListTwoFactorMethods(ctx, userID)
}

func (p *probe) write() {
	if p.hashed.Load() {
		p.afterHash.Add(1)
	} else {
		p.beforeHash.Add(1)
	}
}

func (p *probe) RecordLogin(ctx context.Context, l storage.Login) error {
	p.write()
	return p.Storage.RecordLogin(ctx, l)
}

func (p *probe) RecordLoginFailure(ctx context.Context, id string, at time.Time, pol storage.LockoutPolicy) (storage.LoginFailures, error) {
	p.write()
	return p.Storage.RecordLoginFailure(ctx, id, at, pol)
}

func (p *probe) UpdateUser(ctx context.Context, u storage.User) error {
	p.write()
	return p.Storage.UpdateUser(ctx, u)
}

func (p *probe) ChangeUser(ctx context.Context, c storage.UserChange) error {
	p.write()
	return p.Storage.ChangeUser(ctx, c)
}

// probedHasher tells the probe when the hash has answered.
type probedHasher struct {
	hasher
	p *probe
}

func (h *probedHasher) Verify(ctx context.Context, plain string, ph storage.PasswordHash) (bool, error) {
	ok, err := h.hasher.Verify(ctx, plain, ph)
	h.done()
	return ok, err
}

func (h *probedHasher) DummyVerify(ctx context.Context, plain, scheme string, factor int) error {
	err := h.hasher.DummyVerify(ctx, plain, scheme, factor)
	h.done()
	return err
}

func (h *probedHasher) done() {
	h.p.hashed.Store(true)
	if h.p.hungUpOnce != nil {
		h.p.hungUpOnce()
	}
}

// watch installs a probe and a probed hasher on e.
func (e *env) watch() *probe {
	p := &probe{Storage: e.store}
	e.svc.cfg.Store = p
	e.svc.pw = &probedHasher{hasher: e.hasher, p: p}
	return p
}

// TestLoginWritesOnceAfterTheHash: before its password hash has answered a
// login writes only its attempt's reservation (a lockout counter), and
// exactly once after it, whatever the lockout counter holds: a process
// killed during the hash (kill -9, a crash) leaves no half-made session and
// no false lastLoginInstant (multinode TestKillDuringFailedLogins), only a
// counted attempt.
func TestLoginWritesOnceAfterTheHash(t *testing.T) {
	tests := []struct {
		name      string
		world     func(*world)
		failFirst bool
	}{
		{name: "clean counter"},
		{name: "failures to reset", failFirst: true},
		{name: "lockout disabled", world: func(w *world) { w.tenant.FailedAuthenticationConfiguration.Enabled = false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*world)
			if tc.world != nil {
				opts = append(opts, tc.world)
			}
			e := newEnv(t, opts...)
			if tc.failFirst {
				_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID, IPAddress: "192.0.2.1"})
				wantErr(t, err, ErrInvalidCredentials)
			}
			e.clock.Advance(time.Second)
			p := e.watch()
			tok := e.login()
			if n := p.beforeHash.Load(); n != 0 {
				t.Fatalf("%d writes before the hash answered, want none but the reservation", n)
			}
			if n := p.reserved.Load(); n != 1 {
				t.Fatalf("%d reservations, want 1", n)
			}
			if n := p.afterHash.Load(); n != 1 {
				t.Fatalf("%d writes after the hash, want 1", n)
			}
			u, err := e.store.GetUser(e.ctx, userID)
			must(t, err)
			f, err := e.store.GetLoginFailures(e.ctx, ipKey(userID))
			must(t, err)
			if u.LastLoginInstant != e.clock.Now().UnixMilli() || f.Count != 0 {
				t.Fatalf("after login: lastLoginInstant %d, counter %+v", u.LastLoginInstant, f)
			}
			if _, err := e.refresh(tok.RefreshToken); err != nil {
				t.Fatalf("the login's refresh token does not work: %v", err)
			}
		})
	}
}
