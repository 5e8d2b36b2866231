package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// unknownLoginPrefix marks lockout counters that belong to a login id naming
// no account. login_failures has no foreign key to users, and a user id is a
// UUID, so the two kinds of key never collide.
const unknownLoginPrefix = "loginid:"

// unknownLoginKey is the lockout counter key of a login id that names no
// account: a SHA-256 of the lowercased id (lookups are case-insensitive, so
// "Bob@x" and "bob@x" share a counter). Hashed, because people type passwords
// into the login field and the counter table must not keep them, and because
// the key then has a fixed length whatever an attacker sends.
func unknownLoginKey(loginID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(loginID)))
	return unknownLoginPrefix + hex.EncodeToString(sum[:])
}

// unknownUser answers a login id that names no account exactly as a wrong
// password for a real account is answered, lockout included: the failures
// are counted under unknownLoginKey, so after tooManyAttempts the id is
// "locked" like a real account and no 404-versus-409 difference reveals which
// accounts exist (security-bar L2, L3; FusionAuth itself leaks here). The
// dummy hash runs while unlocked, and is skipped while locked, mirroring a
// real account, so the cost matches too.
func (s *Service) unknownUser(ctx context.Context, tenant storage.Tenant, req LoginRequest, fail event) error {
	key := unknownLoginKey(req.LoginID)
	if _, err := s.checkLock(ctx, key, fail); err != nil {
		return err
	}
	scheme, factor := tenantScheme(tenant)
	s.pw.DummyVerify(req.Password, scheme, factor)
	fail.outcome = "unknown_user"
	if err := s.countFailure(ctx, tenant, key, fail, nil); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// checkLock reads the lockout counter under key and returns a *LockedError
// while it is locked. The counter is returned so a successful login can skip
// the reset write when there is nothing to reset.
func (s *Service) checkLock(ctx context.Context, key string, fail event) (storage.LoginFailures, error) {
	failures, err := s.cfg.Store.GetLoginFailures(ctx, key)
	if err != nil {
		return failures, fmt.Errorf("auth: read login failures: %w", err)
	}
	if failures.LockedUntil.After(s.cfg.Now()) {
		fail.outcome = "locked"
		s.emit(ctx, fail)
		return failures, &LockedError{Until: failures.LockedUntil}
	}
	return failures, nil
}
