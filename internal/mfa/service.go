package mfa

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Store is the storage the use cases need.
type Store interface {
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetApplication(ctx context.Context, id string) (storage.Application, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	FindUser(ctx context.Context, f storage.UserFilter) (storage.User, error)
	storage.TwoFactorStore
	storage.ChallengeStore
	storage.WebAuthnStore
	// EnqueueOutbox stores a keyless passwordless start's job.
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
}

// Service implements the use cases. Its dependencies are fields.
type Service struct {
	Store  Store
	Auth   *auth.Service
	Now    func() time.Time
	Logger *slog.Logger
	// TenantID is the default tenant.
	TenantID string
	// Notify wakes this node's PasswordlessQueue worker once a keyless
	// start stored its job (nil: the worker finds it when it polls).
	Notify func()
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// event logs a security event (security-bar.md G1): ids only.
func (s *Service) event(ctx context.Context, name, userID, outcome string) {
	s.log().LogAttrs(ctx, slog.LevelInfo, "security event", slog.String("event", name),
		slog.String("outcome", outcome), slog.String("user_id", userID))
}

func hashString(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}
