package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginPing is FusionAuth's login ping (login.mdx "Update Login Instant";
// PUT /api/login/{userId}/{applicationId} and PUT /api/login with a
// LoginPingRequest): a backend that signed the user in itself, or through
// an SSO session, records the login without a credential.
type LoginPing struct {
	UserID        string
	ApplicationID string // optional
	IPAddress     string
	// TenantID, when set, is the only tenant the caller sees (a
	// tenant-scoped API key): a user or application of another is unknown.
	TenantID string
}

// PingLogin records a login as a password login records it, in one
// RecordLogin: the user's lastLoginInstant, the registration's when the
// user is registered for the application, and the login record (recent
// logins, login-record search) with the application and the address. No
// token is issued and no lockout counter touched. It reports whether the
// user is registered for the application (FusionAuth: 200, else 202).
// An unknown or inactive user (or one outside TenantID) is
// ErrInvalidCredentials (404, as a login of that user would be), an
// expired one ErrExpiredUser (410); an application that is unknown,
// inactive or of another tenant is ErrUnknownApplication (400); in each
// case nothing is written.
func (s *Service) PingLogin(ctx context.Context, p LoginPing) (registered bool, err error) {
	user, err := s.cfg.Store.GetUser(ctx, p.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!user.Active || (p.TenantID != "" && user.TenantID != p.TenantID))) {
		return false, ErrInvalidCredentials
	}
	if err != nil {
		return false, fmt.Errorf("auth: ping: get user: %w", err)
	}
	now := s.cfg.Now()
	if user.Expiry != 0 && now.UnixMilli() >= user.Expiry {
		return false, ErrExpiredUser
	}
	l := storage.Login{UserID: user.ID, At: now.UnixMilli()}
	registered, appID := true, ""
	if p.ApplicationID != "" {
		app, err := s.application(ctx, p.ApplicationID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (!appActive(app) || app.TenantID != user.TenantID)) {
			return false, ErrUnknownApplication
		}
		if err != nil {
			return false, fmt.Errorf("auth: ping: get application: %w", err)
		}
		regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
		if err != nil {
			return false, fmt.Errorf("auth: ping: list registrations: %w", err)
		}
		appID = app.ID
		if registered = findRegistration(regs, app.ID) != nil; registered {
			l.ApplicationID = app.ID
		}
	}
	// No login id: the user typed none.
	l.Record = &storage.LoginRecord{ID: newTimeOrderedID(now), UserID: user.ID, TenantID: user.TenantID,
		ApplicationID: appID, Instant: l.At, IPAddress: p.IPAddress}
	if err := s.cfg.Store.RecordLogin(ctx, l); errors.Is(err, storage.ErrNotFound) {
		// The user, or the registration, was deleted since it was read.
		return false, ErrInvalidCredentials
	} else if err != nil {
		return false, fmt.Errorf("auth: ping: record login: %w", err)
	}
	return registered, nil
}
