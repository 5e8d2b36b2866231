package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/federation"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/tally"
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
	// CookiePrefix is "" (FusionAuth's names: access_token, refresh_token,
	// refresh_token_<applicationId>) or "__Host-" for HTTPS deployments: the
	// browser then accepts the cookies only from this host with Secure,
	// Path=/ and no Domain, so a sibling subdomain cannot plant one
	// (RFC 6265bis §4.1.3.2). Only the prefixed names are read then.
	CookiePrefix string
	// OriginCacheTTL is how long this node reuses the allowed-origin set it
	// read (0: one second); changes also arrive through the change feed.
	OriginCacheTTL time.Duration
}

// HostCookiePrefix is the one CookiePrefix besides "".
const HostCookiePrefix = "__Host-"

// DefaultRequestTimeout is RequestTimeout's default: far above any real
// request (a bcrypt login is a fraction of a second), short enough that a
// client and a load balancer get an answer.
const DefaultRequestTimeout = 15 * time.Second

// Store is what the HTTP layer reads itself: readiness (HealthStore), the CORS origins,
// the application (or tenant) a token endpoint acts for, and the dashboard's counts. Every change goes
// through a use case (Manage, Auth, Keys).
type Store interface {
	HealthStore
	GetApplication(ctx context.Context, id string) (storage.Application, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
	// ListEventCounts feeds the console dashboard's charts (internal/tally).
	ListEventCounts(ctx context.Context, from, to time.Time) ([]storage.HourlyCount, error)
}

// Server holds the dependencies of every handler.
type Server struct {
	Store Store
	Keys  *keys.Manager
	Auth  *auth.Service
	// Manage holds the management use cases (internal/manage).
	Manage *manage.Service
	// Events is the webhook publisher (internal/events), which the use
	// cases already hold; the app starts its delivery worker.
	Events *events.Publisher
	// MFA holds two-factor enrolment, passkeys and passwordless
	// (internal/mfa); Mailer is its mail path (nil: no mail configured).
	MFA    *mfa.Service
	Mailer mfa.Mailer
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
	// Metrics records requests by route (nil: none) and is served at
	// /api/prometheus/metrics.
	Metrics *observe.Metrics
	// Tracing starts a span per request (nil: off).
	Tracing *observe.Tracing
	// Tally counts the dashboard's security events and flushes them to
	// storage (internal/tally; nil: not counted, the Kickstart dry run).
	Tally *tally.Tally
	// Ready answers /readyz, /api/health and /api/status (nil: one over
	// Store with the defaults, made by Handler).
	Ready *Readiness

	readyOnce sync.Once
	logOnce   sync.Once
	failures  *observe.Throttle
	gate      *Gate      // the gate Handler uses (Gate, or a private one)
	paths     *pathIndex // the route table's literal paths (unknown_paths.go)
	// longRoutes are the routes with a deadline of their own (route.timeout),
	// by literal path.
	longRoutes map[string]longRoute

	origins     *originCache     // cors_origins.go
	originsOnce sync.Once        // makes origins
	originClock func() time.Time // the origin cache's clock; tests move it (nil: time.Now)
}

// ready is Ready, made on first use.
func (s *Server) ready() *Readiness {
	s.readyOnce.Do(func() {
		if s.Ready == nil {
			s.Ready = &Readiness{Store: s.Store, Now: s.now, Logger: s.Logger}
		}
	})
	return s.Ready
}

// failureLog throttles identical failure lines (an outage, a flood).
func (s *Server) failureLog() *observe.Throttle {
	s.logOnce.Do(func() { s.failures = observe.NewThrottle(time.Minute, s.now) })
	return s.failures
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// draining reports whether shutdown has begun.
func (s *Server) draining() bool { return s.gate != nil && s.gate.Draining() }
