package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginSessionTTL is how long a login session on the hosted page (and its
// single sign-on cookie) lasts. Fixed, not sliding: a stolen SSO cookie
// cannot be kept alive by use.
const LoginSessionTTL = 8 * time.Hour

// ErrNoSession: the SSO cookie names no live session (unknown, ended,
// expired, or its user can no longer log in).
var ErrNoSession = errors.New("auth: no login session")

// StartSession records a login on the hosted page: the session the id
// token's sid names. With cookie, it also returns the single sign-on cookie
// value (only its hash is stored).
func (s *Service) StartSession(ctx context.Context, user storage.User, authType string, cookie bool) (storage.LoginSession, string, error) {
	now := s.cfg.Now()
	ls := storage.LoginSession{ID: newID(), TenantID: user.TenantID, UserID: user.ID, AuthTime: now,
		AuthType: authType, CreatedAt: now, ExpiresAt: now.Add(LoginSessionTTL)}
	var raw string
	if cookie {
		raw = newRefreshValue()
		ls.Hash = hashToken(raw)
	}
	if err := s.cfg.Store.CreateLoginSession(ctx, ls); err != nil {
		return storage.LoginSession{}, "", fmt.Errorf("auth: create login session: %w", err)
	}
	return ls, raw, nil
}

// Session returns the live session of an SSO cookie value whose user may
// still log in.
func (s *Service) Session(ctx context.Context, raw string) (storage.LoginSession, storage.User, error) {
	if raw == "" || len(raw) > maxRefreshTokenLen {
		return storage.LoginSession{}, storage.User{}, ErrNoSession
	}
	ls, err := s.cfg.Store.FindLoginSessionByHash(ctx, hashToken(raw))
	if errors.Is(err, storage.ErrNotFound) {
		return ls, storage.User{}, ErrNoSession
	}
	if err != nil {
		return ls, storage.User{}, fmt.Errorf("auth: find login session: %w", err)
	}
	now := s.cfg.Now()
	if !ls.RevokedAt.IsZero() || !now.Before(ls.ExpiresAt) {
		return ls, storage.User{}, ErrNoSession
	}
	u, err := s.cfg.Store.GetUser(ctx, ls.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !userCanLogIn(u, now)) {
		return ls, u, ErrNoSession
	}
	return ls, u, err
}

// EndSession ends a login session and revokes every token issued under it
// (RP-initiated logout; FusionAuth keeps the refresh tokens, latchkey does
// not: the user asked to be logged out), and queues an OpenID Connect
// Back-Channel Logout notice for every application that received tokens in
// it and registered a backchannelLogoutURL, in the same transaction. It
// returns the revoked tokens. An unknown session is not an error.
func (s *Service) EndSession(ctx context.Context, id, ip string) ([]storage.RefreshToken, error) {
	if id == "" {
		return nil, nil
	}
	var evs []storage.OutboxMessage
	revoked, err := s.cfg.Store.EndLoginSession(ctx, id, s.cfg.Now(), "logout", s.sessionEvents(ctx, ip, s.backchannelNotices(ctx, id), &evs))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: end login session: %w", err)
	}
	s.cfg.Events.Committed(evs)
	ev := event{name: evLogout, level: slog.LevelInfo, ip: ip, outcome: "session_ended"}
	if len(revoked) > 0 {
		ev.userID = revoked[0].UserID
	}
	s.emit(ctx, ev)
	return revoked, nil
}

// LoginSession returns a session by id (the sid of an id token).
func (s *Service) LoginSession(ctx context.Context, id string) (storage.LoginSession, error) {
	return s.cfg.Store.GetLoginSession(ctx, id)
}

// userCanLogIn: active and not past user.expiry.
func userCanLogIn(u storage.User, now time.Time) bool {
	return u.Active && (u.Expiry == 0 || now.UnixMilli() < u.Expiry)
}
