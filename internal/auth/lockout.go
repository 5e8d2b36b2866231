package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/loginid"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// unknownLoginPrefix marks lockout counters that belong to a login id naming
// no account. login_failures has no foreign key to users, and a user id is a
// UUID, so the two kinds of key never collide.
const unknownLoginPrefix = "loginid:"

// noAccountID is the user id an unknown login id's dummy reads look up:
// the nil UUID, which no account has.
const noAccountID = "00000000-0000-0000-0000-000000000000"

// unknownLoginKey is the lockout account of a login id that names no
// account: a SHA-256 of the normalized id (lookups fold case and width, so
// "Bob@x" and "ＢＯＢ@x" share a counter). Hashed, because people type
// passwords into the login field and the counter table must not keep them,
// and because the key then has a fixed length whatever an attacker sends.
func unknownLoginKey(loginID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(loginid.Normalize(loginID))))
	return unknownLoginPrefix + hex.EncodeToString(sum[:])
}

// LockoutLimits are the limits every login attempt is charged against
// besides the tenant's failedAuthenticationConfiguration (which counts per
// account AND client address, so failures from one address lock that
// address out of the account, not the account out of everywhere):
//
//   - Ceiling failures per hour per account, from all addresses together
//     (ASVS 2.2.1). Counted in fixed windows of an hour, so at most
//     2×Ceiling−1 fall in any 60 minutes: the default 50 keeps that under
//     100 (docs/decisions.md "Lockout per account and address").
//   - Share failures per hour per account from one address, so one address
//     cannot spend the whole ceiling and lock the account for everyone.
//
// Both apply whether or not the tenant's lockout is enabled.
type LockoutLimits struct {
	Ceiling int
	Share   int
}

const (
	defaultCeiling = 50
	defaultShare   = 20
	ceilingWindow  = time.Hour
)

func (l LockoutLimits) withDefaults() LockoutLimits {
	if l.Ceiling <= 0 {
		l.Ceiling = defaultCeiling
	}
	if l.Share <= 0 {
		l.Share = defaultShare
	}
	return l
}

// addressKey is what one client is for lockout: an IPv4 address or an IPv6
// /64 (one subscriber's prefix), "-" when unknown.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "-"
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// lockoutIP is the first address given: a step's own, else its login's.
func lockoutIP(ips ...string) string {
	for _, ip := range ips {
		if ip != "" {
			return ip
		}
	}
	return ""
}

// lockoutIP is the address an attempt counts under.
func (r LoginRequest) lockoutIP() string {
	if r.LockoutIP != "" {
		return r.LockoutIP
	}
	return r.IPAddress
}

// counters are the lockout counters an attempt on account (a user id or an
// unknownLoginKey) from ip is charged to: the tenant's policy per account and
// address (reset by a success from that address), the address's hourly share
// and the account's hourly ceiling. An unknown login id gets the same three,
// so its attempts cost what a real account's cost.
func (s *Service) counters(t storage.Tenant, account, ip string) []storage.LoginCounter {
	lim := s.cfg.Lockout.withDefaults()
	addr := account + "@" + addressKey(ip)
	out := make([]storage.LoginCounter, 0, 3)
	if p, ok := lockoutPolicy(t.FailedAuthenticationConfiguration); ok {
		out = append(out, storage.LoginCounter{Key: addr, Account: account, Policy: p, ResetOnSuccess: true})
	}
	hour := storage.LockoutPolicy{Window: ceilingWindow, LockDuration: ceilingWindow}
	share, ceiling := hour, hour
	share.Threshold, ceiling.Threshold = lim.Share, lim.Ceiling
	return append(out,
		storage.LoginCounter{Key: addr + "/h", Account: account, Policy: share},
		storage.LoginCounter{Key: account, Account: account, Policy: ceiling})
}

// charge is what an attempt holds of its lockout counters: the counters
// and, once reserved before the hash, the reservation a success gives back.
type charge struct {
	counters []storage.LoginCounter
	res      *storage.LoginReservation
	// stale: checkLock found failures on a counter a success resets.
	stale bool
	// settled frees the attempt's place in flight (inflight.go), once its
	// reservation is given back or kept; nil for a charge not reserved.
	settled func()
}

// refund is what a success gives back (storage.Login.Refund): the
// reservation, or for an attempt that was only checked, the deletion of the
// counters a success resets when they hold failures.
func (c charge) refund() *storage.LoginReservation {
	if c.res != nil {
		return c.res
	}
	if !c.stale {
		return nil
	}
	r := &storage.LoginReservation{}
	for _, k := range c.counters {
		if k.ResetOnSuccess {
			r.Charged = append(r.Charged, storage.ChargedCounter{LoginCounter: k})
		}
	}
	return r
}

// reserve charges the attempt to its counters before the password hash is
// evaluated (storage.ReserveLoginAttempt), so N concurrent guesses on any
// number of nodes get at most the threshold's number of hashes. A locked
// counter refuses the attempt with a *LockedError, unhashed and uncharged.
// A counter full of other attempts' charges that are still pending is no
// lock: the attempt waits for them to settle (chargeCounters). The attempt
// first takes its place among the counters' unsettled attempts on this node
// (inflight.go); the caller calls c.settled when the login has ended, after
// the charge was refunded or settled as a failure (settleFailure).
func (s *Service) reserve(ctx context.Context, t storage.Tenant, account, ip string, fail event) (charge, error) {
	c := charge{counters: s.counters(t, account, ip), settled: func() {}}
	settled, err := s.inflight.hold(ctx, c.counters)
	if err != nil {
		return c, fmt.Errorf("auth: wait for the account's attempts in flight: %w", err)
	}
	// The places go back unless the charge takes them, even on a panic
	// (recovered by the server: a lost place would be lost for good).
	defer func() {
		if c.res == nil {
			settled()
		}
	}()
	r, err := s.chargeCounters(ctx, c.counters)
	if errors.Is(err, errInFlight) {
		fail.outcome = "in_flight"
		s.emit(ctx, fail)
	}
	if err != nil {
		return c, err
	}
	if !r.Allowed {
		fail.outcome = "locked"
		s.emit(ctx, fail)
		return c, &LockedError{Until: r.LockedUntil}
	}
	c.res, c.settled = &r, settled
	return c, nil
}

// errInFlight: the counters stayed full of other attempts' pending charges
// until the request ended. Nothing was charged or checked; the server
// answers 503 with Retry-After, as when a hash's turn never came.
var errInFlight = fmt.Errorf("auth: the account's attempts in flight did not settle in time: %w", password.ErrBusy)

// Waits between reservations that found a counter full of pending charges:
// doubling from the first to the last. Attempts on this node queue in
// inflight.go instead; these waits are for other nodes' attempts, whose
// settlements this node is not told of.
const (
	inFlightFirstWait = 2 * time.Millisecond
	inFlightLastWait  = 50 * time.Millisecond
)

// chargeHoldWithoutDeadline is how long an attempt whose context has no
// deadline may take to its settling write: the server's default request
// deadline (server.DefaultRequestTimeout). Every request the server
// serves has a deadline; this is for other callers.
const chargeHoldWithoutDeadline = 15 * time.Second

// chargeHold is the longest an attempt charged now under ctx holds its
// charge before settling or refunding it: its work ends by ctx's deadline,
// then its last write (settleFailure, giveBack: detached) takes at most
// detachedWriteTimeout. Past that the charge lapses: a node that died
// mid-login stops blocking the account's logins everywhere, its charges
// counted as failures (storage.ReserveLoginAttempt). An attempt slower
// than that is not wrong, only counted: a failure counted already, a
// correct login's refund still given back.
func chargeHold(ctx context.Context) time.Duration {
	hold := chargeHoldWithoutDeadline
	if d, ok := ctx.Deadline(); ok {
		hold = max(time.Until(d), 0)
	}
	return hold + detachedWriteTimeout
}

// chargeCounters reserves an attempt on counters, trying again while they
// are full of pending charges (storage.LoginReservation.InFlight): those
// are attempts still in flight, on any node, that may be correct logins
// whose refund frees the place, so they must not lock the account against
// its own password; only settled failures lock. The wait is bounded by
// ctx (the request's deadline): errInFlight, nothing charged. A charge is
// made even when the client hangs up during the write: a guess must not go
// uncounted because its sender stopped listening.
func (s *Service) chargeCounters(ctx context.Context, counters []storage.LoginCounter) (storage.LoginReservation, error) {
	wait := inFlightFirstWait
	for {
		wctx, cancel := detached(ctx)
		now := s.cfg.Now()
		r, err := s.cfg.Store.ReserveLoginAttempt(wctx, now, now.Add(chargeHold(ctx)), counters)
		cancel()
		if err != nil {
			return r, fmt.Errorf("auth: reserve login attempt: %w", err)
		}
		if !r.InFlight {
			return r, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return r, fmt.Errorf("%w (%w)", errInFlight, context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, inFlightLastWait)
	}
}

// settleFailure counts an attempt's pending charge as a failure, with msgs
// (its user.login.failed events) in the same write: a refusal's one write
// after its check. It returns the lock the failure set (zero: none).
func (s *Service) settleFailure(ctx context.Context, ch charge, msgs []storage.OutboxMessage) (time.Time, error) {
	wctx, cancel := detached(ctx)
	defer cancel()
	locked, err := s.cfg.Store.SettleLoginFailure(wctx, s.cfg.Now(), *ch.res, msgs)
	if err != nil {
		return time.Time{}, fmt.Errorf("auth: settle login failure: %w", err)
	}
	if len(msgs) > 0 {
		s.cfg.Events.Committed(msgs)
	}
	return locked, nil
}

// unknownUser answers a login id that names no account exactly as a wrong
// password for a real account is answered, lockout included: the attempt is
// reserved on the same counters under unknownLoginKey, so after
// tooManyAttempts the id is "locked" like a real account and no
// 404-versus-409 difference reveals which accounts exist (security-bar L2,
// L3; FusionAuth itself leaks here). The dummy hash runs while unlocked, and
// is skipped while locked, mirroring a real account; and where a real
// account's refusal settles its charge with its user.login.failed event,
// this one settles its charge alone, so both cost one commit
// (settleFailure). It makes the reads
// a found account makes before its hash too, for no account: measured with
// `latchkey bench --mode timing`, without them a real account's first
// failure was 6–8 % slower at the median (docs/performance.md).
func (s *Service) unknownUser(ctx context.Context, tenant storage.Tenant, app storage.Application, req LoginRequest, fail event) error {
	ch, err := s.reserve(ctx, tenant, unknownLoginKey(req.LoginID), req.lockoutIP(), fail)
	if err != nil {
		return err
	}
	defer ch.settled()
	// The reads a found account makes before its hash (login preventions,
	// second-factor methods), made for no account, so both cost alike.
	// Failed (the client gone, the database down), nothing was checked:
	// the reservation goes back, as a real account's does (Login).
	if _, err := s.loginPreventions(ctx, noAccountID, s.cfg.Now()); err != nil {
		return s.notHashed(ctx, ch, err)
	}
	if _, err := s.secondFactorMethods(ctx, req, tenant, app, storage.User{ID: noAccountID}); err != nil {
		return s.notHashed(ctx, ch, err)
	}
	scheme, factor := tenantScheme(tenant)
	err = s.pw.DummyVerify(ctx, req.Password, scheme, factor)
	releaseHashSlot(ctx) // where a real account's refusal releases it
	if err != nil {
		// The turn never came: answered as a real account's would be.
		return s.notHashed(ctx, ch, fmt.Errorf("auth: verify password: %w", err))
	}
	fail.outcome = "unknown_user"
	s.emit(ctx, fail)
	if _, err := s.settleFailure(ctx, ch, nil); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// checkLock reads an attempt's counters and returns a *LockedError while
// one is locked, for the steps that are charged after their check (a second
// factor's code, a password asked for again, a passkey): the charge returned
// knows whether a success has failures to reset.
func (s *Service) checkLock(ctx context.Context, t storage.Tenant, account, ip string, fail event) (charge, error) {
	c := charge{counters: s.counters(t, account, ip)}
	now := s.cfg.Now()
	for _, k := range c.counters {
		f, err := s.cfg.Store.GetLoginFailures(ctx, k.Key)
		if err != nil {
			return c, fmt.Errorf("auth: read login failures: %w", err)
		}
		if f.LockedUntil.After(now) {
			fail.outcome = "locked"
			s.emit(ctx, fail)
			return c, &LockedError{Until: f.LockedUntil}
		}
		if k.ResetOnSuccess && f.Count > 0 {
			c.stale = true
		}
	}
	return c, nil
}
