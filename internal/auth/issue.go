package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Values of the authenticationType claim for tokens minted by the management
// API (FusionAuth authenticationtype.json): POST /api/user answers with a
// USER_CREATE token, the combined POST /api/user/registration with a
// REGISTRATION token (fusionauth-api.md §7.1, §7.2).
const (
	AuthUserCreate   = "USER_CREATE"
	AuthRegistration = "REGISTRATION"
	// evIssued is the security event for such a token: not a login, since no
	// credential was checked, but worth a record (security-bar.md G1).
	evIssued = "token_issued"
)

// IssueRequest asks for tokens for a user who was just created through the
// management API, so no password is checked: the caller already proved an
// API key.
type IssueRequest struct {
	UserID string
	// ApplicationID scopes the token (aud, and applicationId/roles when the
	// user is registered); empty for a tenant-level token.
	ApplicationID string
	// AuthenticationType is AuthUserCreate or AuthRegistration.
	AuthenticationType string
	// RefreshToken also issues a refresh token when the application's
	// loginConfiguration.generateRefreshTokens is on and the user is
	// registered, as FusionAuth's combined registration does (since 1.17.0).
	RefreshToken bool
	IPAddress    string
}

// Issue mints the access token (and maybe a refresh token) that FusionAuth
// returns from user create and registration. The claims are exactly those of
// a login (mint), so every verifier treats them alike; only
// authenticationType differs.
func (s *Service) Issue(ctx context.Context, req IssueRequest) (Tokens, error) {
	if req.AuthenticationType != AuthUserCreate && req.AuthenticationType != AuthRegistration {
		return Tokens{}, fmt.Errorf("auth: issue: unsupported authenticationType %q", req.AuthenticationType)
	}
	now := s.cfg.Now()
	user, err := s.cfg.Store.GetUser(ctx, req.UserID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: get user: %w", err)
	}
	tenant, err := s.cfg.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: get tenant: %w", err)
	}
	var app storage.Application
	if req.ApplicationID != "" {
		app, err = s.application(ctx, req.ApplicationID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(app)) {
			return Tokens{}, ErrUnknownApplication
		}
		if err != nil {
			return Tokens{}, fmt.Errorf("auth: issue: get application: %w", err)
		}
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: issue: list registrations: %w", err)
	}
	user.Registrations = regs
	var reg *storage.Registration
	if app.ID != "" {
		reg = findRegistration(regs, app.ID)
	}
	out := Tokens{User: user, Application: app, Registered: app.ID == "" || reg != nil}
	g := grant{tenant: tenant, app: app, user: user, reg: reg, authType: req.AuthenticationType,
		authTime: now, set: resolveSettings(tenant, app)}
	if reg != nil {
		if g.groupRoles, err = s.groupRoles(ctx, app, user.ID); err != nil {
			return Tokens{}, err
		}
	}
	issue := req.RefreshToken && wantsRefresh(LoginRequest{}, app, reg)
	if issue {
		g.refreshID = newTimeOrderedID(now)
	}
	if err := s.mint(ctx, g, now, &out); err != nil {
		return Tokens{}, err
	}
	ev := event{name: evIssued, level: slog.LevelInfo, userID: user.ID, appID: app.ID,
		ip: req.IPAddress, outcome: req.AuthenticationType}
	if issue {
		raw, rt, err := s.issueRefresh(ctx, g, now, LoginRequest{IPAddress: req.IPAddress})
		if err != nil {
			return Tokens{}, err
		}
		out.RefreshToken, out.RefreshTokenID, out.RefreshExpiresAt = raw, rt.ID, rt.ExpiresAt
		ev.tokenID = rt.ID
	}
	s.emit(ctx, ev)
	return out, nil
}
