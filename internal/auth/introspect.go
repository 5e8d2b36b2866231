package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Active verifies an access token and checks that its session (sid: the
// refresh-token record or code grant it was issued under) was not revoked
// since: a logout, /oauth2/revoke or a code replay makes its tokens
// inactive at once here, not only at exp (RFC 7662 §2.2). A token without
// sid (no session was created) is active until exp. An ID token is not an
// access token (OIDC Core §5.3.1; RFC 8725 §2.8): both are signed by the
// same keys for the same audience, so it is told apart by at_hash, which
// every ID token carries (idClaims) and no access token does. The error is
// ErrInvalidToken for every refusal.
func (s *Service) Active(ctx context.Context, token string) (map[string]any, error) {
	claims, err := s.Validate(ctx, token)
	if err != nil {
		return nil, err
	}
	if _, idToken := claims["at_hash"]; idToken {
		return nil, ErrInvalidToken
	}
	sid, _ := claims["sid"].(string)
	if sid == "" {
		return claims, nil
	}
	rt, err := s.cfg.Store.GetRefreshToken(ctx, sid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session of token: %w", err)
	}
	if !rt.RevokedAt.IsZero() {
		return nil, ErrInvalidToken
	}
	return claims, nil
}

// UserInfo is the user behind an active access token and the application it
// was issued to (GET /oauth2/userinfo).
func (s *Service) UserInfo(ctx context.Context, claims map[string]any) (storage.User, *storage.Registration, error) {
	sub, _ := claims["sub"].(string)
	aud, _ := claims["aud"].(string)
	if sub == "" || aud == "" {
		return storage.User{}, nil, ErrInvalidToken
	}
	app, err := s.application(ctx, aud)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(app)) {
		return storage.User{}, nil, ErrInvalidToken
	}
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("auth: userinfo application: %w", err)
	}
	u, err := s.cfg.Store.GetUser(ctx, sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !userCanLogIn(u, s.cfg.Now())) {
		return storage.User{}, nil, ErrInvalidToken
	}
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("auth: userinfo user: %w", err)
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, u.ID)
	if err != nil {
		return storage.User{}, nil, fmt.Errorf("auth: userinfo registrations: %w", err)
	}
	return u, findRegistration(regs, app.ID), nil
}

// RevokeToken is RFC 7009 for a client: a refresh token of this client, or
// the session of an access token issued to it, is revoked with its whole
// family. Anything else (unknown, expired, another client's) is ignored
// without telling the caller (§2.2: the answer is the same).
func (s *Service) RevokeToken(ctx context.Context, clientID, token, ip string) error {
	if token == "" || len(token) > 16<<10 {
		return nil
	}
	var id, userID string
	if rt, err := s.FindRefreshToken(ctx, token); err == nil {
		if rt.ApplicationID != clientID {
			return nil
		}
		id, userID = rt.ID, rt.UserID
	} else if !errors.Is(err, ErrRefreshNotFound) {
		return err
	} else if claims, err := s.Validate(ctx, token); err == nil {
		aud, _ := claims["aud"].(string)
		sid, _ := claims["sid"].(string)
		if aud != clientID || sid == "" {
			return nil
		}
		id, _ = claims["sub"].(string)
		id, userID = sid, id
	} else {
		return nil
	}
	revoked, err := s.revokeOne(ctx, id, "revoked", ip)
	if err != nil {
		return fmt.Errorf("auth: revoke: %w", err)
	}
	if len(revoked) > 0 {
		s.emit(ctx, event{name: evLogout, level: slog.LevelInfo, userID: userID, appID: clientID, tokenID: id,
			ip: ip, outcome: "token_revoked"})
	}
	return nil
}
