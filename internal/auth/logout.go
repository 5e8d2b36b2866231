package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LogoutRequest ends a session: the refresh token's family, or every session
// of its owner when Global.
type LogoutRequest struct {
	RefreshToken string
	Global       bool
	// ApplicationID, when set, restricts the logout to a token of that
	// application: the request came from a page of that application only,
	// and must not end another application's session (security-bar.md R8).
	ApplicationID string
	// DPoPJKT is the key of the request's valid DPoP proof, if any. A
	// token bound to a key (RFC 9449) is ended only with a proof by that
	// key: holding the token alone is not enough to log its owner out.
	DPoPJKT   string
	IPAddress string // for the security event and webhooks only
	UserAgent string // for webhooks only
}

// Logout revokes the refresh token (all of its owner's when global), for
// POST /api/logout (fusionauth-api.md §3). The presented value may be the
// current one or a superseded one of the same family: either identifies the
// session to end. An unknown token is not an error (FusionAuth answers 200).
// global=true needs a live token, so an old, dead value cannot be used to log
// its former owner out everywhere.
func (s *Service) Logout(ctx context.Context, req LogoutRequest) error {
	refreshToken, global := req.RefreshToken, req.Global
	if refreshToken == "" || len(refreshToken) > maxRefreshTokenLen {
		return nil
	}
	now := s.cfg.Now()
	rt, _, err := s.findFamily(ctx, refreshToken)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: find refresh token: %w", err)
	}
	if !rt.RevokedAt.IsZero() {
		return nil // already ended: nothing to do, and not proof of ownership
	}
	if req.ApplicationID != "" && req.ApplicationID != rt.ApplicationID {
		return nil // another application's session: not this caller's to end
	}
	if rt.DPoPJKT != "" && rt.DPoPJKT != req.DPoPJKT {
		// RFC 9449 §5: the token is usable only with its key, and so is
		// ending it. Answered like an unknown token (200, nothing done).
		s.emit(ctx, event{name: evLogout, level: slog.LevelInfo, userID: rt.UserID, appID: rt.ApplicationID,
			tokenID: rt.ID, ip: req.IPAddress, outcome: "dpop_key_mismatch"})
		return nil
	}
	f := storage.RefreshTokenFilter{ID: rt.ID}
	outcome := "session_revoked"
	endTrusts := false
	if global && now.Before(rt.ExpiresAt) {
		// Logging out everywhere also ends every trusted device of the
		// user: each proves its second factor again.
		endTrusts = true
		f, outcome = storage.RefreshTokenFilter{UserID: rt.UserID}, "all_sessions_revoked"
		// A page of one application ends every session of the user in that
		// application only; other applications' sessions are not its to end.
		f.ApplicationID = req.ApplicationID
	}
	msgs, err := s.logoutEvents(ctx, f, rt, req)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: f, At: now, Reason: "logout", Outbox: msgs, EndTrusts: endTrusts}); err != nil {
		return fmt.Errorf("auth: revoke on logout: %w", err)
	}
	s.cfg.Events.Committed(msgs)
	s.emit(ctx, event{name: evLogout, level: slog.LevelInfo, userID: rt.UserID,
		appID: rt.ApplicationID, tokenID: rt.ID, ip: req.IPAddress, outcome: outcome})
	return nil
}

// Validate verifies an access token and returns its claims (GET
// /api/jwt/validate). The cause of a failure stays in keys; callers get one
// error, as FusionAuth answers every invalid token with the same 401. A key
// set that cannot be read (the database does not answer and no last good
// set is left) is not the token's fault: that error is returned as is
// (storage.Transient), for a 503.
func (s *Service) Validate(ctx context.Context, token string) (map[string]any, error) {
	claims, err := s.cfg.Keys.Verify(ctx, token)
	if storage.Transient(err) {
		return nil, fmt.Errorf("auth: validate: %w", err)
	}
	if err != nil {
		return nil, ErrInvalidToken
	}
	return claims, nil
}

// FindRefreshToken resolves a raw refresh token value to its live record
// (DELETE /api/jwt/refresh?token=, §2.4). A superseded value resolves to its
// family's record, so revoking by an old value still ends the session.
// Unknown, revoked or expired values answer ErrRefreshNotFound.
func (s *Service) FindRefreshToken(ctx context.Context, raw string) (storage.RefreshToken, error) {
	if raw == "" || len(raw) > maxRefreshTokenLen {
		return storage.RefreshToken{}, ErrRefreshNotFound
	}
	rt, _, err := s.findFamily(ctx, raw)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.RefreshToken{}, ErrRefreshNotFound
	}
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("auth: find refresh token: %w", err)
	}
	if !rt.RevokedAt.IsZero() || !s.cfg.Now().Before(rt.ExpiresAt) {
		return storage.RefreshToken{}, ErrRefreshNotFound
	}
	return rt, nil
}

// logoutEvents prepares the jwt.refresh-token.revoke event of a logout,
// when a webhook of the token's tenant wants it.
func (s *Service) logoutEvents(ctx context.Context, f storage.RefreshTokenFilter, rt storage.RefreshToken, req LogoutRequest) ([]storage.OutboxMessage, error) {
	if s.cfg.Events == nil {
		return nil, nil
	}
	tid := rt.TenantID
	if tid == "" {
		tid = s.cfg.TenantID
	}
	t, err := s.tenant(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("auth: read tenant for logout events: %w", err)
	}
	return s.revokeEvents(ctx, t, f, rt, nil, req.IPAddress, req.UserAgent, false)
}
