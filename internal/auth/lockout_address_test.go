package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// loginFrom is one password login of alice from ip, reduced to what the
// caller sees: "ok", "invalid" or "locked".
func (e *env) loginFrom(ip, pass string) string {
	e.t.Helper()
	_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: pass, ApplicationID: appID, IPAddress: ip})
	var locked *LockedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &locked):
		return "locked"
	case errors.Is(err, ErrInvalidCredentials):
		return "invalid"
	}
	e.t.Fatalf("login from %s: %v", ip, err)
	return ""
}

// TestLockoutIsPerAddress: tooManyAttempts (3) wrong passwords from one
// address lock that address out of the account, not the real user at
// another address, who still logs in; the attacker's address stays locked,
// even for the right password; IPv6 addresses of one /64 are one client.
func TestLockoutIsPerAddress(t *testing.T) {
	e := newEnv(t)
	const attacker, user = "203.0.113.9", "198.51.100.20"
	for i := range 3 {
		if got := e.loginFrom(attacker, "wrong"); got != "invalid" {
			t.Fatalf("attacker's guess %d: %s", i, got)
		}
	}
	if got := e.loginFrom(attacker, goodPass); got != "locked" {
		t.Fatalf("attacker's address after 3 failures: %s, want locked", got)
	}
	if got := e.loginFrom(user, goodPass); got != "ok" {
		t.Fatalf("the real user at another address: %s, want ok (lockout must not be a DoS switch)", got)
	}
	if got := e.loginFrom(attacker, goodPass); got != "locked" {
		t.Fatalf("the user's success unlocked the attacker's address: %s", got)
	}
	// An IPv6 client rotating within its /64 is one client.
	for i := range 3 {
		if got := e.loginFrom(fmt.Sprintf("2001:db8:1:2::%x", i+1), "wrong"); got != "invalid" {
			t.Fatalf("ipv6 guess %d: %s", i, got)
		}
	}
	if got := e.loginFrom("2001:db8:1:2::ffff", goodPass); got != "locked" {
		t.Fatalf("another address of the same /64: %s, want locked", got)
	}
	if got := e.loginFrom("2001:db8:1:3::1", goodPass); got != "ok" {
		t.Fatalf("another /64: %s, want ok", got)
	}
}

// TestLockoutAccountCeiling: failures from many addresses together lock
// the account for everyone at the ceiling (ASVS 2.2.1), for an hour; one
// address alone cannot get there, because its share locks it first. The
// tenant's own lockout is off here, so only the ceiling and the share count.
func TestLockoutAccountCeiling(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.Enabled = false })
	e.svc.cfg.Lockout = LockoutLimits{Ceiling: 6, Share: 4}
	// One address: its share (4) locks it, the account stays open.
	for i := range 4 {
		if got := e.loginFrom("203.0.113.1", "wrong"); got != "invalid" {
			t.Fatalf("guess %d: %s", i, got)
		}
	}
	if got := e.loginFrom("203.0.113.1", "wrong"); got != "locked" {
		t.Fatalf("fifth guess from one address: %s, want locked (its share)", got)
	}
	if got := e.loginFrom("198.51.100.20", goodPass); got != "ok" {
		t.Fatalf("the real user elsewhere after one address's share: %s, want ok", got)
	}
	// A success refunds its reservation: the ceiling still holds 4.
	e.clock.Advance(time.Second)
	for i := range 2 {
		if got := e.loginFrom(fmt.Sprintf("203.0.113.%d", 10+i), "wrong"); got != "invalid" {
			t.Fatalf("guess %d from a new address: %s", i, got)
		}
	}
	for _, ip := range []string{"203.0.113.50", "198.51.100.20"} {
		if got := e.loginFrom(ip, goodPass); got != "locked" {
			t.Fatalf("after %d failures from all addresses, %s: %s, want locked (the ceiling)", 6, ip, got)
		}
	}
	e.clock.Advance(time.Hour)
	if got := e.loginFrom("198.51.100.20", goodPass); got != "ok" {
		t.Fatalf("an hour later: %s, want ok", got)
	}
}

// TestLockoutDefaultCeilingUnder100AnHour: with the default limits,
// failures from many addresses (each below its own lockout) crowded around
// the boundary of two hourly windows, the worst case of a fixed window,
// still total fewer than 100 within 60 minutes (ASVS 2.2.1), after which
// the account is locked for everyone.
func TestLockoutDefaultCeilingUnder100AnHour(t *testing.T) {
	e := newEnv(t)
	addr := 0
	guess := func() string {
		addr++
		return e.loginFrom(fmt.Sprintf("10.0.%d.%d", addr/250, addr%250+1), "wrong")
	}
	if got := guess(); got != "invalid" { // opens the window at t0
		t.Fatal(got)
	}
	e.clock.Advance(59 * time.Minute)
	start := e.clock.Now()
	failed := 0
	for range 200 {
		if guess() != "invalid" {
			break
		}
		failed++
		if failed == 48 {
			e.clock.Advance(time.Minute) // the window of t0 ends
		}
	}
	if span := e.clock.Now().Sub(start); span > time.Hour {
		t.Fatalf("the failures took %v of the clock, want them within an hour", span)
	}
	if failed >= 100 {
		t.Fatalf("%d failures accepted within an hour, want fewer than 100", failed)
	}
	if got := e.loginFrom("198.51.100.99", goodPass); got != "locked" {
		t.Fatalf("after %d failures the right password from a fresh address: %s, want locked", failed, got)
	}
}
