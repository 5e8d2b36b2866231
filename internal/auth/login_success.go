package auth

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginSucceeded runs the side effects of a successful login (fusionauth-api.md
// §1.6) and issues the tokens.
func (s *Service) loginSucceeded(ctx context.Context, req LoginRequest, tenant storage.Tenant,
	app storage.Application, user storage.User, failures storage.LoginFailures) (Tokens, error) {
	now := s.cfg.Now()
	// Success resets the lockout counter; skipping the write when there is
	// nothing to reset keeps the common login at one fewer statement.
	if failures.Count > 0 || !failures.LockedUntil.IsZero() {
		if err := s.cfg.Store.ResetLoginFailures(ctx, user.ID); err != nil {
			return Tokens{}, fmt.Errorf("auth: reset login failures: %w", err)
		}
	}
	s.rehash(ctx, tenant, &user, req.Password)

	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: list registrations: %w", err)
	}
	var reg *storage.Registration
	if app.ID != "" {
		reg = findRegistration(regs, app.ID)
	}
	recordApp := ""
	if reg != nil {
		recordApp = app.ID
		reg.LastLoginInstant = now.UnixMilli()
	}
	if err := s.cfg.Store.RecordLogin(ctx, user.ID, recordApp, now.UnixMilli()); err != nil {
		return Tokens{}, fmt.Errorf("auth: record login: %w", err)
	}
	user.LastLoginInstant = now.UnixMilli()
	user.Registrations = regs

	out := Tokens{User: user, Application: app, Registered: app.ID == "" || reg != nil}
	ev := event{name: evLoginSuccess, level: slog.LevelInfo, userID: user.ID, appID: app.ID,
		ip: req.IPAddress, outcome: "success"}
	if !out.Registered {
		ev.outcome = "success_not_registered"
	}
	if req.NoJWT {
		s.emit(ctx, ev)
		return out, nil
	}

	g := grant{tenant: tenant, app: app, user: user, reg: reg, authType: authPassword,
		authTime: now, oauth: req.OAuth, set: resolveSettings(tenant, app)}
	if req.OAuth {
		g.scopes = req.Scopes
	}
	issue := wantsRefresh(req, app, reg)
	if issue {
		g.refreshID = newID()
	}
	// Sign before storing the refresh token, so a signing failure leaves no
	// orphan record behind.
	if err := s.mint(ctx, g, now, &out); err != nil {
		return Tokens{}, err
	}
	if issue {
		raw, rt, err := s.issueRefresh(ctx, g, now, req)
		if err != nil {
			return Tokens{}, err
		}
		out.RefreshToken, out.RefreshTokenID, out.RefreshExpiresAt = raw, rt.ID, rt.ExpiresAt
		ev.tokenID = rt.ID
	}
	s.emit(ctx, ev)
	return out, nil
}

// rehash upgrades the stored hash to the tenant's current scheme and factor
// after a successful verification, the only moment the plain password is
// known: changing the tenant scheme migrates users as they log in. A failure
// is logged and does not fail the login; the old hash still verifies.
func (s *Service) rehash(ctx context.Context, tenant storage.Tenant, user *storage.User, plain string) {
	scheme, factor := tenantScheme(tenant)
	if !s.pw.NeedsRehash(user.Password, scheme, factor) {
		return
	}
	h, err := s.pw.Hash(plain, scheme, factor)
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", "user_id", user.ID, "scheme", scheme, "err", err)
		return
	}
	updated := *user
	updated.Password = h
	if err := s.cfg.Store.UpdateUser(ctx, updated); err != nil {
		s.log.WarnContext(ctx, "password rehash not stored", "user_id", user.ID, "err", err)
		return
	}
	user.Password = h
}
