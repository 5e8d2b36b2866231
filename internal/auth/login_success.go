package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginPlan is everything a successful login writes and signs, prepared
// once the password has been checked (passwordLogin).
type loginPlan struct {
	user storage.User // LastLoginInstant and Registrations as after the login
	reg  *storage.Registration
	rec  storage.Login
	g    grant
	raw  string // the refresh token's secret: released only on success
	// refused: OAuth requireRegistration turns the user away after the
	// password; nothing is to be written.
	refused bool
}

// planLogin prepares the side effects of a successful login
// (fusionauth-api.md §1.6): lastLoginInstant on user and registration, the
// lockout reset, the new refresh token, all for ONE RecordLogin transaction.
// It reads the registrations only; it writes nothing.
func (s *Service) planLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, ch charge, now time.Time) (loginPlan, error) {
	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return loginPlan{}, fmt.Errorf("auth: list registrations: %w", err)
	}
	p := loginPlan{}
	if app.ID != "" {
		p.reg = findRegistration(regs, app.ID)
	}
	// The password grant refuses a user not registered for the client,
	// whatever oauthConfiguration.requireRegistration says: RFC 6749 §5.1
	// wants an access token in every success, and latchkey issues none to an
	// unregistered user (docs/decisions.md).
	if req.OAuth && p.reg == nil && app.ID != "" {
		p.refused = true
		return p, nil
	}
	// Success gives the attempt's reservation back and resets the counter
	// of its account and address (lockout.go).
	p.rec = storage.Login{UserID: user.ID, At: now.UnixMilli(), Refund: ch.refund()}
	if p.reg != nil {
		p.rec.ApplicationID = app.ID
		p.reg.LastLoginInstant = p.rec.At
	}
	user.LastLoginInstant = p.rec.At
	user.Registrations = regs
	p.user = user
	// The login's record (recent logins, login-record search) rides in the
	// same write (storage.UndoLogin, should a caller take a login back,
	// removes exactly this record by its id).
	p.rec.Record = &storage.LoginRecord{ID: newTimeOrderedID(now), UserID: user.ID, TenantID: user.TenantID, ApplicationID: app.ID,
		Instant: p.rec.At, IPAddress: req.IPAddress, LoginID: req.LoginID}
	// A lock that commits after Login read the user's actions is caught
	// in the write itself (storage.LoginGate): 409, not a session.
	p.rec.Gate = &storage.LoginGate{ApplicationID: app.ID}
	authType, authTime := authPassword, now
	if req.authType != "" {
		authType = req.authType
	}
	if !req.authTime.IsZero() {
		authTime = req.authTime
	}
	p.g = grant{tenant: tenant, app: app, user: user, reg: p.reg, authType: authType,
		authTime: authTime, oauth: req.OAuth, set: resolveSettings(tenant, app), jkt: req.DPoPJKT}
	// A login without tokens still names its credential in its
	// user.login.success event (commitLogin).
	if req.NoJWT {
		return p, nil
	}
	if p.reg != nil {
		if p.g.groupRoles, err = s.groupRoles(ctx, app, user.ID); err != nil {
			return loginPlan{}, err
		}
	}
	if req.OAuth {
		p.g.scopes = req.Scopes
	}
	if wantsRefresh(req, app, p.reg) {
		p.g.refreshID = newTimeOrderedID(now)
		raw, rt := s.newRefresh(p.g, now, req)
		p.rec.RefreshToken, p.raw = &rt, raw
	}
	return p, nil
}

// issueLogin signs the planned login's tokens (nothing when noJWT) and
// returns the answer with its success event, not yet emitted.
func (s *Service) issueLogin(ctx context.Context, req LoginRequest, app storage.Application, p loginPlan,
	now time.Time) (Tokens, event, error) {
	out := Tokens{User: p.user, Application: app, Registered: app.ID == "" || p.reg != nil}
	ev := event{name: evLoginSuccess, level: slog.LevelInfo, userID: p.user.ID, appID: app.ID,
		ip: req.IPAddress, outcome: "success"}
	if !out.Registered {
		ev.outcome = "success_not_registered"
	}
	if req.provider != nil {
		ev.outcome = "federated" // IssueFederated's, or its second step's
	}
	// No token for a user not registered for the named application: one whose
	// aud names the application would be accepted by its resource servers
	// (FusionAuth issues one; latchkey deliberately does not).
	if req.NoJWT || !out.Registered {
		return out, ev, nil
	}
	if err := s.mint(ctx, p.g, now, &out); err != nil {
		return Tokens{}, ev, err
	}
	if rt := p.rec.RefreshToken; rt != nil {
		out.RefreshToken, out.RefreshTokenID, out.RefreshExpiresAt = p.raw, rt.ID, rt.ExpiresAt
		ev.tokenID = rt.ID
	}
	return out, ev, nil
}

// commitLogin signs the planned login (issueLogin), then writes it in ONE
// RecordLogin with its user.login.success messages (p.g.authType names the
// credential) and wakes the webhook worker. A login prevention that came
// between the check and the write is that prevention's refusal. The
// success event is returned, not yet emitted.
func (s *Service) commitLogin(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, p loginPlan, now time.Time) (Tokens, event, error) {
	out, ev, err := s.issueLogin(ctx, req, app, p, now)
	if err != nil {
		return Tokens{}, ev, err
	}
	success, err := s.plan(ctx, tenant, events.UserLoginSuccess)
	if err != nil {
		return Tokens{}, ev, err
	}
	if p.rec.Outbox, err = s.loginSuccess(ctx, success, req, app, p.user, p.g.authType); err != nil {
		return Tokens{}, ev, err
	}
	if err := s.cfg.Store.RecordLogin(ctx, p.rec); err != nil {
		if held, ok := preventedLate(err, user); ok {
			return Tokens{}, ev, held
		}
		return Tokens{}, ev, fmt.Errorf("auth: record login: %w", err)
	}
	s.cfg.Events.Committed(p.rec.Outbox)
	return out, ev, nil
}

// refuseRegistration answers an OAuth login of a user not registered for
// the client (after the password was accepted); nothing was written.
func (s *Service) refuseRegistration(ctx context.Context, req LoginRequest, app storage.Application, userID string) error {
	s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, userID: userID, appID: app.ID,
		ip: req.IPAddress, outcome: "registration_required"})
	return ErrRegistrationRequired
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
	h, err := s.pw.Hash(ctx, plain, scheme, factor)
	if errors.Is(err, password.ErrBusy) {
		// A busy server: the next login tries again. Logged at debug, or a
		// scheme migration under load would log a line per login.
		s.log.DebugContext(ctx, "password rehash postponed: no hashing turn", "user_id", user.ID, "scheme", scheme)
		return
	}
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", "user_id", user.ID, "scheme", scheme, "err", err)
		return
	}
	// Only the hash columns are written: the document may have changed
	// since it was read (a verification, a profile edit), and the same
	// password is not remembered in the history.
	if err := s.cfg.Store.ChangeUser(ctx, storage.UserChange{UserID: user.ID, Now: s.cfg.Now(), Password: &h}); err != nil {
		s.log.WarnContext(ctx, "password rehash not stored", "user_id", user.ID, "err", err)
		return
	}
	user.Password = h
}
