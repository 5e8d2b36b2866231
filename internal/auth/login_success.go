package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginSucceeded runs the side effects of a successful login (fusionauth-api.md
// §1.6) and issues the tokens. Every write (lastLoginInstant on user and
// registration, the lockout reset, the new refresh token) goes to storage in
// one RecordLogin transaction: one commit instead of two or three, which is
// most of what a login costs beyond the password hash (BenchmarkLogin).
func (s *Service) loginSucceeded(ctx context.Context, req LoginRequest, tenant storage.Tenant,
	app storage.Application, user storage.User, failures storage.LoginFailures) (Tokens, error) {
	now := s.cfg.Now()
	s.rehash(ctx, tenant, &user, req.Password)

	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: list registrations: %w", err)
	}
	var reg *storage.Registration
	if app.ID != "" {
		reg = findRegistration(regs, app.ID)
	}
	// FusionAuth oauthConfiguration.requireRegistration: the OAuth grants
	// refuse a user not registered for the client; nothing is written.
	if req.OAuth && reg == nil && app.OAuthConfiguration.RequireRegistration {
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, userID: user.ID, appID: app.ID,
			ip: req.IPAddress, outcome: "registration_required"})
		return Tokens{}, ErrRegistrationRequired
	}
	// Success resets the lockout counter; skipping the statement when there
	// is nothing to reset keeps the common login lean.
	rec := storage.Login{UserID: user.ID, At: now.UnixMilli(),
		ResetFailures: failures.Count > 0 || !failures.LockedUntil.IsZero()}
	if reg != nil {
		rec.ApplicationID = app.ID
		reg.LastLoginInstant = rec.At
	}
	user.LastLoginInstant = rec.At
	user.Registrations = regs

	out := Tokens{User: user, Application: app, Registered: app.ID == "" || reg != nil}
	ev := event{name: evLoginSuccess, level: slog.LevelInfo, userID: user.ID, appID: app.ID,
		ip: req.IPAddress, outcome: "success"}
	if !out.Registered {
		ev.outcome = "success_not_registered"
	}
	if !req.NoJWT {
		if err := s.mintLogin(ctx, req, tenant, app, user, reg, now, &out, &rec); err != nil {
			return Tokens{}, err
		}
		ev.tokenID = out.RefreshTokenID
	}
	if err := s.cfg.Store.RecordLogin(ctx, rec); err != nil {
		return Tokens{}, fmt.Errorf("auth: record login: %w", err)
	}
	s.emit(ctx, ev)
	return out, nil
}

// mintLogin signs the login's tokens into out and, when a refresh token is
// due, puts its record into rec for RecordLogin to store. Signing comes
// first, so a signing failure leaves nothing behind.
func (s *Service) mintLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, reg *storage.Registration, now time.Time, out *Tokens, rec *storage.Login) error {
	g := grant{tenant: tenant, app: app, user: user, reg: reg, authType: authPassword,
		authTime: now, oauth: req.OAuth, set: resolveSettings(tenant, app), jkt: req.DPoPJKT}
	if req.OAuth {
		g.scopes = req.Scopes
	}
	issue := wantsRefresh(req, app, reg)
	if issue {
		g.refreshID = newID()
	}
	if err := s.mint(ctx, g, now, out); err != nil {
		return err
	}
	if issue {
		raw, rt := newRefresh(g, now, req)
		rec.RefreshToken = &rt
		out.RefreshToken, out.RefreshTokenID, out.RefreshExpiresAt = raw, rt.ID, rt.ExpiresAt
	}
	return nil
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
