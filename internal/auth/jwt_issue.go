package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const authJWTSSO = "JWT_SSO"

// ErrInvalidKey: /api/jwt/vend's keyId names no active signing key.
var ErrInvalidKey = errors.New("auth: no such signing key")

// IssueForApplication is GET /api/jwt/issue (FusionAuth apis/jwt/issue-a-jwt.mdx):
// from a valid access token (claims), an access token for another
// application of the same tenant, authenticationType JWT_SSO, with that
// application's roles, expiring no later than the source token. A user not
// registered for the target gets no token (Registered false, 202), as on
// /api/login. The token keeps the source's sid and cnf.jkt (its session and
// DPoP key). ErrUnknownApplication for an unknown or inactive target;
// ErrInvalidToken when the source's session was revoked or its user can no
// longer log in.
func (s *Service) IssueForApplication(ctx context.Context, claims map[string]any, targetID, ip string) (Tokens, error) {
	sid, _ := claims["sid"].(string)
	if sid != "" {
		rt, err := s.cfg.Store.GetRefreshToken(ctx, sid)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !rt.RevokedAt.IsZero()) {
			return Tokens{}, ErrInvalidToken
		}
		if err != nil {
			return Tokens{}, fmt.Errorf("auth: session of token: %w", err)
		}
	}
	sub, _ := claims["sub"].(string)
	exp, _ := claims["exp"].(float64)
	user, err := s.cfg.Store.GetUser(ctx, sub)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !userCanLogIn(user, s.cfg.Now())) {
		return Tokens{}, ErrInvalidToken
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: user: %w", err)
	}
	app, err := s.application(ctx, targetID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!appActive(app) || app.TenantID != user.TenantID)) {
		return Tokens{}, ErrUnknownApplication
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: application: %w", err)
	}
	tenant, err := s.tenant(ctx, user.TenantID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: tenant: %w", err)
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: registrations: %w", err)
	}
	user.Registrations = regs
	reg := findRegistration(regs, app.ID)
	if unverifiedRegistration(app, reg) {
		reg = nil // not yet a registration that gets tokens (the 213 rule)
	}
	out := Tokens{User: user, Application: app, Registered: reg != nil}
	if reg == nil {
		return out, nil
	}
	if sid != "" {
		// Before the token exists: the target's revocation feed lists the
		// session once it ends (a session revoked meanwhile buys nothing).
		err := s.cfg.Store.AddSessionApplication(ctx, sid, app.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return Tokens{}, ErrInvalidToken
		}
		if err != nil {
			return Tokens{}, fmt.Errorf("auth: issue: record the session's application: %w", err)
		}
	}
	authTime := time.Unix(int64(numberClaim(claims, "auth_time")), 0)
	// The new token is the source's session and key in another audience:
	// the same sid, so ending the session ends it too (userinfo, the
	// target's revocation feed, a later /api/jwt/issue), and the same cnf.jkt, so a
	// DPoP-bound token never buys an unbound one (RFC 9449 §6.1).
	g := grant{tenant: tenant, app: app, user: user, reg: reg, authType: authJWTSSO, authTime: authTime,
		set: resolveSettings(tenant, app), maxExp: int64(exp), refreshID: sid, jkt: boundKey(claims)}
	if err := s.mint(ctx, g, s.cfg.Now(), &out); err != nil {
		return Tokens{}, err
	}
	s.emit(ctx, event{name: evIssued, level: slog.LevelInfo, userID: user.ID, appID: app.ID, ip: ip, outcome: authJWTSSO})
	return out, nil
}

func numberClaim(c map[string]any, name string) float64 {
	v, _ := c[name].(float64)
	return v
}

// boundKey is the cnf.jkt of verified claims, "" when unbound.
func boundKey(c map[string]any) string {
	cnf, _ := c["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

// VendRequest is POST /api/jwt/vend's body.
type VendRequest struct {
	Claims   map[string]any
	KeyID    string
	TTL      time.Duration // 0: the tenant's timeToLiveInSeconds
	TenantID string
}

// Vend signs a JWT with the given claims for an API-key caller (FusionAuth
// apis/jwt/vend-a-jwt.mdx): amr, cnf, exp and iat in the request are
// replaced; iat, exp and a jti (unless given) are added; nothing else,
// so no iss, sub or aud unless the caller put them there.
func (s *Service) Vend(ctx context.Context, req VendRequest) (string, error) {
	tenant, err := s.tenant(ctx, req.TenantID)
	if err != nil {
		return "", fmt.Errorf("auth: vend: tenant: %w", err)
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = resolveSettings(tenant, storage.Application{}).AccessTTL
	}
	now := s.cfg.Now()
	c := map[string]any{}
	for k, v := range req.Claims {
		switch k {
		case "amr", "cnf", "exp", "iat":
		default:
			c[k] = v
		}
	}
	c["iat"], c["exp"] = now.Unix(), now.Add(ttl).Unix()
	if _, ok := c["jti"]; !ok {
		c["jti"] = newID()
	}
	kid := req.KeyID
	if kid == "" {
		kid = tenant.JWTConfiguration.AccessTokenKeyID
	}
	var tok string
	if kid == "" {
		tok, err = s.cfg.Keys.Sign(ctx, resolveSettings(tenant, storage.Application{}).Alg, c)
	} else {
		tok, err = s.cfg.Keys.SignWith(ctx, kid, c)
	}
	if errors.Is(err, keys.ErrUnknownKey) {
		return "", ErrInvalidKey
	}
	return tok, err
}
