package auth

import (
	"context"
	"log/slog"
)

// Security event names (security-bar.md G1: every login success and failure,
// lockout, refresh, reuse detection and logout is logged with user, app, ip
// and outcome). Attributes carry identifiers only: never a password, a token
// value or a hash, and never the loginId (people type passwords into it).
const (
	evLoginSuccess = "login_success"
	evLoginFailure = "login_failure"
	// evLoginWithheld: the password verified but the login ended without
	// tokens (outcome.go); the outcome names the Withheld kind.
	evLoginWithheld = "login_withheld"
	// evPasswordCheck: a current password asked for again (change password)
	// was refused.
	evPasswordCheck = "password_check_failure"
	evLockout       = "account_locked"
	evRefresh       = "refresh"
	evRefreshFail   = "refresh_failure"
	evReuse         = "refresh_token_reuse"
	evLogout        = "logout"
	// Issue 10: a wrong second factor, a device trusted.
	evTwoFactorFailure = "two_factor_failure"
	evTrust            = "two_factor_trust"
	// evCookieConflict: one request carried refresh tokens of different
	// users (a planted cookie: cookie tossing); it was refused.
	evCookieConflict = "refresh_cookie_conflict"
)

// event is one security log record.
type event struct {
	name    string
	level   slog.Level
	userID  string
	appID   string
	tokenID string // refresh token record id (refreshTokenId), not its value
	ip      string
	outcome string
}

func (s *Service) emit(ctx context.Context, e event) {
	if s.cfg.Count != nil {
		s.cfg.Count(ctx, e.name, e.outcome)
	}
	attrs := []slog.Attr{slog.String("event", e.name), slog.String("outcome", e.outcome)}
	for _, a := range [...]struct{ k, v string }{
		{"user_id", e.userID}, {"application_id", e.appID},
		{"refresh_token_id", e.tokenID}, {"ip", e.ip},
	} {
		if a.v != "" {
			attrs = append(attrs, slog.String(a.k, a.v))
		}
	}
	s.log.LogAttrs(ctx, e.level, "security event", attrs...)
}
