package auth

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Store is the storage the use cases need, and no more: a role interface of
// storage.go where they use the whole role, its methods one by one where they
// use part of it. Management writes (creating users, applications, API keys,
// ...) are not here: they belong to the management use cases, and a Service
// cannot make them by mistake.
type Store interface {
	// GetTenant and GetApplication are read through the caches (cache.go).
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetApplication(ctx context.Context, id string) (storage.Application, error)

	GetUser(ctx context.Context, id string) (storage.User, error)
	FindUser(ctx context.Context, f storage.UserFilter) (storage.User, error)
	// ChangeUser writes a rehashed password after a login (rehash on login)
	// and a 203's changePasswordId (outcome.go).
	ChangeUser(ctx context.Context, c storage.UserChange) error
	ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error)
	// GroupRolesOf (cached like the application) and ListGroupMembers give
	// the roles a user's groups grant (group_roles.go).
	GroupRolesOf(ctx context.Context, appID string) (map[string][]string, error)
	// LoginPreventions: the user actions in force that prevent login
	// (prevented.go).
	LoginPreventions(ctx context.Context, userID string, now int64) ([]storage.UserActionLog, error)
	ListGroupMembers(ctx context.Context, f storage.GroupMemberFilter) ([]storage.GroupMember, int, error)

	// RecordLogin: a login's one write, after its hash (login_verify.go).
	RecordLogin(ctx context.Context, l storage.Login) error
	// ReserveLoginAttempt, RefundLoginAttempt, SettleLoginFailure and
	// GetLoginFailures: lockout (lockout.go). A success's refund rides on
	// RecordLogin; a withheld login's right password refunds on its own
	// (outcome.go); a refusal settles its charge as a failure.
	ReserveLoginAttempt(ctx context.Context, at, heldUntil time.Time, counters []storage.LoginCounter) (storage.LoginReservation, error)
	RefundLoginAttempt(ctx context.Context, r storage.LoginReservation) error
	SettleLoginFailure(ctx context.Context, at time.Time, r storage.LoginReservation, outbox []storage.OutboxMessage) (time.Time, error)
	GetLoginFailures(ctx context.Context, key string) (storage.LoginFailures, error)
	// A oneTimePassword, looked at, then spent (login_otp.go).
	GetIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Identifier, error)
	ConsumeIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Identifier, error)

	// Sessions (storage.RefreshTokenStore without the listing and the purge).
	CreateRefreshToken(ctx context.Context, t storage.RefreshToken) error
	GetRefreshToken(ctx context.Context, id string) (storage.RefreshToken, error)
	FindRefreshTokenByHash(ctx context.Context, hash []byte) (t storage.RefreshToken, current bool, err error)
	// FindRefreshSession: a refresh's one read (refresh.go).
	FindRefreshSession(ctx context.Context, k storage.SessionKey) (storage.RefreshSession, error)
	RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshToken, error)
	TouchRefreshToken(ctx context.Context, id string, at, expiresAt, readExpiresAt time.Time) error
	RevokeRefreshTokens(ctx context.Context, f storage.RefreshTokenFilter, at time.Time, reason string, audit ...storage.AuditEntry) ([]storage.RefreshToken, error)
	// AddSessionApplication: /api/jwt/issue puts the session in the
	// target's revocation feed (jwt_issue.go).
	AddSessionApplication(ctx context.Context, sessionID, appID string) error
	// Authorization codes and login sessions (codes.go, sessions.go).
	storage.OAuthStore
	// The client_credentials grant reads entities and grants (clientcreds.go).
	FindEntityByClientID(ctx context.Context, clientID string) (storage.Entity, error)
	GetEntity(ctx context.Context, id string) (storage.Entity, error)
	GetEntityType(ctx context.Context, id string) (storage.EntityType, error)
	GetEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string) (storage.EntityGrant, error)
	// A federated login reads links and writes a first login's account
	// (federated.go).
	GetIdentityProviderLink(ctx context.Context, tenantID, providerID, providerUserID string) (storage.IdentityProviderLink, error)
	CreateFederatedAccount(ctx context.Context, a storage.FederatedAccount) error
	// Second factors and the challenges between login steps (issue 10).
	storage.TwoFactorStore
	storage.ChallengeStore

	// Issue 14: the JWT populate lambdas (read through a cache), a failure
	// count and a revocation that commit their events, and the events whose
	// cause stores nothing (webhooks.go).
	GetLambda(ctx context.Context, id string) (storage.Lambda, error)
	RevokeRefreshTokensWith(ctx context.Context, r storage.Revocation) ([]storage.RefreshToken, error)
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
}
