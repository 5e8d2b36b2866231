package manage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RefreshTokensStore is what RefreshTokens uses.
type RefreshTokensStore interface {
	sessionRevoker
	RevokeRefreshTokensWith(ctx context.Context, r storage.Revocation) ([]storage.RefreshToken, error)
	GetRefreshToken(ctx context.Context, id string) (storage.RefreshToken, error)
	ListRefreshTokens(ctx context.Context, userID string) ([]storage.RefreshToken, error)
}

// TokenFinder finds a refresh token by its secret value (internal/auth owns
// how secrets are hashed).
type TokenFinder interface {
	FindRefreshToken(ctx context.Context, raw string) (storage.RefreshToken, error)
	RevokeEventer
}

// RevokeEventer prepares the jwt.refresh-token.revoke event of a revocation
// for the caller to commit in the write that revokes (internal/auth knows
// the token lifetimes it carries). Every use case that revokes sessions
// holds one; nil prepares nothing.
type RevokeEventer interface {
	RevokeEvents(ctx context.Context, r auth.Revoked) ([]storage.OutboxMessage, error)
}

// revokeEvents is r.RevokeEvents, or nothing without r.
func revokeEvents(ctx context.Context, r RevokeEventer, rv auth.Revoked) ([]storage.OutboxMessage, error) {
	if r == nil {
		return nil, nil
	}
	return r.RevokeEvents(ctx, rv)
}

// RefreshTokens is FusionAuth's refresh-token administration with an API key
// (fusionauth-api.md §2.3, §2.4): list, read and revoke users' sessions.
// Only live tokens (neither revoked nor expired) are shown; anything else is
// ErrNotFound.
type RefreshTokens struct {
	Store  RefreshTokensStore
	Tokens TokenFinder
	Now    func() time.Time
	// Events wakes the webhook worker after a revocation queued events.
	Events *events.Publisher
}

// List returns userID's live tokens that scope sees; never ErrNotFound.
func (rt *RefreshTokens) List(ctx context.Context, scope Scope, userID string) ([]storage.RefreshToken, error) {
	if userID == "" {
		return nil, invalid("blank", "userId", "You must specify the [userId] parameter as a user id.")
	}
	// The same answer as Revoke's for a userId that is not a UUID.
	e := &Invalid{}
	checkFilterID(e, "userId", userID)
	if err := e.Err(); err != nil {
		return nil, err
	}
	ts, err := rt.Store.ListRefreshTokens(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []storage.RefreshToken
	for _, t := range ts {
		if scope.Sees(t.TenantID) && rt.live(t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (rt *RefreshTokens) live(t storage.RefreshToken) bool {
	return t.RevokedAt.IsZero() && rt.Now().Before(t.ExpiresAt)
}

// Get returns the live token id.
func (rt *RefreshTokens) Get(ctx context.Context, scope Scope, id string) (storage.RefreshToken, error) {
	if !ValidID(id) {
		return storage.RefreshToken{}, ErrNotFound
	}
	t, err := rt.Store.GetRefreshToken(ctx, id)
	if err == nil && (!rt.live(t) || !scope.Sees(t.TenantID)) {
		err = ErrNotFound
	}
	return t, notFound(err)
}

// Revocation names what Revoke ends: one token (by ID or by its value), or
// every token of a user, of an application, or of a user in an application.
type Revocation struct {
	ID, Token, UserID, ApplicationID string
}

// Revoke ends the tokens q names. A named token that is not live, or does
// not belong to the user or application also given, is ErrNotFound; a bulk
// revocation crosses tenants, so only an unscoped caller may make one
// (ErrForbidden).
func (rt *RefreshTokens) Revoke(ctx context.Context, scope Scope, q Revocation) error {
	e := &Invalid{}
	checkFilterID(e, "applicationId", q.ApplicationID)
	checkFilterID(e, "userId", q.UserID)
	if q.ID == "" && q.Token == "" && q.UserID == "" && q.ApplicationID == "" {
		e.General("missing", "Name a refresh token (id or token) or a userId and/or applicationId.")
	}
	if err := e.Err(); err != nil {
		return err
	}
	f := storage.RefreshTokenFilter{UserID: q.UserID, ApplicationID: q.ApplicationID}
	var named storage.RefreshToken
	tenantID := scope.TenantID
	if q.ID != "" || q.Token != "" {
		t, err := rt.named(ctx, scope, q.ID, q.Token)
		if err == nil && ((f.UserID != "" && f.UserID != t.UserID) || (f.ApplicationID != "" && f.ApplicationID != t.ApplicationID)) {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		f, named, tenantID = storage.RefreshTokenFilter{ID: t.ID}, t, t.TenantID
	} else if scope.TenantID != "" {
		return ErrForbidden
	}
	evs, err := rt.Tokens.RevokeEvents(ctx, auth.Revoked{TenantID: tenantID, Filter: f, Token: named})
	if err != nil {
		return err
	}
	entry := audit(ctx, rt.Now(), tenantID, "Revoked the refresh tokens "+revocationSubject(f), nil, nil)
	// Every session of a user ended also ends the user's trusted devices
	// (twoFactorTrustIds), in the same transaction.
	if _, err := rt.Store.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: f, At: rt.Now(), Reason: "admin",
		Outbox: evs, Audit: []storage.AuditEntry{entry}, EndTrusts: f.ID == "" && f.UserID != "" && f.ApplicationID == ""}); err != nil {
		return err
	}
	rt.Events.Committed(evs)
	return nil
}

// revocationSubject says which tokens a revocation ends, for its audit
// entry (ids only: a token's value never reaches the log).
func revocationSubject(f storage.RefreshTokenFilter) string {
	switch {
	case f.ID != "":
		return "with Id [" + f.ID + "]"
	case f.UserID != "" && f.ApplicationID != "":
		return "of the user with Id [" + f.UserID + "] for the application with Id [" + f.ApplicationID + "]"
	case f.UserID != "":
		return "of the user with Id [" + f.UserID + "]"
	}
	return "of the application with Id [" + f.ApplicationID + "]"
}

// named resolves a token by id or by its secret value.
func (rt *RefreshTokens) named(ctx context.Context, scope Scope, id, raw string) (storage.RefreshToken, error) {
	if id != "" {
		return rt.Get(ctx, scope, id)
	}
	t, err := rt.Tokens.FindRefreshToken(ctx, raw)
	if errors.Is(err, auth.ErrRefreshNotFound) || (err == nil && !scope.Sees(t.TenantID)) {
		err = ErrNotFound
	}
	return t, notFound(err)
}
