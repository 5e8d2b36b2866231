package manage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The storage each use case uses, method by method, so that a use case
// cannot reach what it has no business with and a test can see at a glance
// what it touches. storage.Storage satisfies all of them.

type tenantReader interface {
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
}

type applicationReader interface {
	GetApplication(ctx context.Context, id string) (storage.Application, error)
}

type userReader interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	FindUser(ctx context.Context, f storage.UserFilter) (storage.User, error)
}

// sessionRevoker ends sessions: refresh tokens, and with them the sid the
// revocation feed lists.
type sessionRevoker interface {
	RevokeRefreshTokens(ctx context.Context, f storage.RefreshTokenFilter, at time.Time, reason string, audit ...storage.AuditEntry) ([]storage.RefreshToken, error)
	// RevokeRefreshTokensWith also commits the revocation's events.
	RevokeRefreshTokensWith(ctx context.Context, r storage.Revocation) ([]storage.RefreshToken, error)
}

// revokeWith revokes f's sessions for reason with their
// jwt.refresh-token.revoke (rv describes them), in one write.
func revokeWith(ctx context.Context, st sessionRevoker, ev RevokeEventer, p *events.Publisher, rv auth.Revoked, at time.Time, reason string) error {
	msgs, err := revokeEvents(ctx, ev, rv)
	if err != nil {
		return err
	}
	if _, err := st.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: rv.Filter, At: at, Reason: reason, Outbox: msgs}); err != nil {
		return err
	}
	p.Committed(msgs)
	return nil
}

// DefaultsStore is what EnsureDefaults uses.
type DefaultsStore interface {
	tenantReader
	storage.EmailTemplateStore
	CreateTenant(ctx context.Context, t storage.Tenant) error
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
	PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error
}

// TokenIssuer mints the tokens FusionAuth returns with a created user or
// registration (internal/auth).
type TokenIssuer interface {
	Issue(ctx context.Context, req auth.IssueRequest) (auth.Tokens, error)
}
