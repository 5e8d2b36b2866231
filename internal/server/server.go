package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/federation"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Config is what the HTTP layer needs from the operator configuration.
type Config struct {
	// Issuer is the public base URL (iss claim, OIDC discovery).
	Issuer string
	// CookieSameSite is Lax (default), Strict or None.
	CookieSameSite http.SameSite
	// TrustedProxies are the peers whose X-Forwarded-For / X-Forwarded-Proto
	// are believed. Nobody else's are.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds the work of one request (database calls see it
	// through the request context), so a database that stops answering —
	// a network partition rather than a refused connection — turns into a
	// 503 instead of a hang. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is RequestTimeout's default: far above any real
// request (a bcrypt login is a fraction of a second), short enough that a
// client and a load balancer get an answer.
const DefaultRequestTimeout = 15 * time.Second

// Store is what the HTTP layer reads itself: readiness, the CORS origins, and
// the application (or tenant) a token endpoint acts for. Every change goes
// through a use case (Manage, Auth, Keys).
type Store interface {
	Ping(ctx context.Context) error
	GetApplication(ctx context.Context, id string) (storage.Application, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
}

// Server holds the dependencies of every handler.
type Server struct {
	Store Store
	Keys  *keys.Manager
	Auth  *auth.Service
	// Manage holds the management use cases (internal/manage).
	Manage *manage.Service
	Logger *slog.Logger
	Now    func() time.Time
	Config Config
	// Hosted renders the hosted pages (login, error, logout); nil means the
	// built-in theme only.
	Hosted *hosted.Renderer
	// Federation calls upstream identity providers (nil: a default client).
	Federation *federation.Client
	// NotifyOutbox, when set, wakes the worker of an outbox queue after a
	// request queued a message on this node (auth.BackchannelQueue).
	NotifyOutbox func(queue string)
	// Gate bounds concurrent password verification and carries the draining
	// flag that shutdown sets (limit.go); nil means default Limits.
	Gate *Gate
}
