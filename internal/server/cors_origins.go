package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/cache"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// This file is the CORS origin set: the allowed origins, read from the
// system configuration and the active applications, kept on this node in
// an internal/cache value (TTL Config.OriginCacheTTL, one second by
// default). A change made through this node forgets it at once
// (ForgetOrigins, called by the application and system-configuration
// handlers); one made through another node arrives through the change feed
// (internal/app/changes.go), the TTL being the fallback. When a reload
// fails because the database does not answer, the last good set is used for
// at most a minute more, then no origin is allowed (fail closed).

// originTTL is the default lifetime of the origin set on this node.
const originTTL = time.Second

// originKeepLastGood bounds how long the set is used past its TTL while
// reloading it fails (as for tenants, applications and keys).
const originKeepLastGood = time.Minute

// baseCORSHeaders are the request headers a browser client needs (DPoP for
// sender-constrained tokens, RFC 9449 §4.1); the system
// corsConfiguration.allowedHeaders adds to them.
var baseCORSHeaders = []string{"Accept", "Authorization", "Content-Type", "DPoP", "X-FusionAuth-TenantId", "X-Requested-With"}

// originSet is one snapshot of the allowed origins.
type originSet struct {
	apps map[string][]string // origin -> ids of active applications listing it
	// system holds the origins of the enabled system corsConfiguration,
	// each with its allowCredentials: an origin listed there with
	// allowCredentials false gets CORS without credentials and never
	// spends a session cookie (unless an application lists it too).
	system map[string]bool
	// anyOrigin: the enabled system corsConfiguration lists "*" with
	// allowCredentials false (manage refuses "*" beside other origins or
	// with credentials): every origin may call without credentials.
	anyOrigin bool
	headers   string
	maxAge    string
}

// allowed reports whether origin may make CORS requests at all.
func (o *originSet) allowed(origin string) bool {
	_, sys := o.system[origin]
	return o.anyOrigin || sys || len(o.apps[origin]) > 0
}

// allowOrigin is the Access-Control-Allow-Origin for an allowed origin: the
// origin itself when it is listed, else "*" (allowed by the wildcard only,
// so never with credentials: a browser does not expose a credentialed
// answer to "*", Fetch standard, CORS check).
func (o *originSet) allowOrigin(origin string) string {
	if _, sys := o.system[origin]; sys || len(o.apps[origin]) > 0 {
		return origin
	}
	return "*"
}

// credentialed reports whether origin may make credentialed requests
// (cookies): an application's origin, or a system one with
// allowCredentials true.
func (o *originSet) credentialed(origin string) bool {
	return o.system[origin] || len(o.apps[origin]) > 0
}

// originCache holds the origin set of one Server.
type originCache = cache.Cache[struct{}, *originSet]

// originCache returns the Server's origin set cache, made on first use.
func (s *Server) originCache() *originCache {
	s.originsOnce.Do(func() {
		ttl := s.Config.OriginCacheTTL
		if ttl <= 0 {
			ttl = originTTL
		}
		s.origins = cache.New(func(ctx context.Context, _ struct{}) (*originSet, error) { return s.loadOrigins(ctx) },
			cache.Options{TTL: ttl, KeepLastGood: originKeepLastGood, Transient: storage.Transient, Now: s.originClock})
	})
	return s.origins
}

// ForgetOrigins drops this node's origin set: an application or the
// system configuration changed, here or (change feed) on another node.
func (s *Server) ForgetOrigins() { s.originCache().Forget(struct{}{}) }

// allowedOrigins is the current origin set; when it cannot be read (and no
// last good set is left) no origin is allowed: CORS fails closed.
func (s *Server) allowedOrigins(ctx context.Context) *originSet {
	o, err := s.originCache().Get(ctx, struct{}{})
	if err != nil {
		if wentAway(ctx, err) {
			// The client went away while the set was loading (the load
			// goes on for the next request): nothing failed.
			s.Logger.DebugContext(ctx, "cors: client went away while the allowed origins loaded")
			return &originSet{}
		}
		s.Logger.WarnContext(ctx, "cors: loading allowed origins failed; allowing none", "error", err.Error())
		return &originSet{}
	}
	return o
}

// loadOrigins reads the system configuration and the active applications.
func (s *Server) loadOrigins(ctx context.Context) (*originSet, error) {
	o := &originSet{apps: map[string][]string{}, system: map[string]bool{}, maxAge: "1800"}
	headers := slices.Clone(baseCORSHeaders)
	sc, err := s.Store.GetSystemConfiguration(ctx)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if c := sc.CORSConfiguration; c.Enabled {
		// A stored "*" with allowCredentials true (refused on save) is
		// ignored: a wildcard never carries credentials.
		o.anyOrigin = !c.AllowCredentials && slices.Contains(c.AllowedOrigins, "*")
		for _, v := range c.AllowedOrigins {
			if n := manage.NormalizeOrigin(v); n != "" {
				o.system[n] = o.system[n] || c.AllowCredentials
			}
		}
		for _, h := range c.AllowedHeaders {
			if h = strings.TrimSpace(h); h != "" && !slices.ContainsFunc(headers, func(x string) bool { return strings.EqualFold(x, h) }) {
				headers = append(headers, h)
			}
		}
		if c.PreflightMaxAgeInSeconds > 0 {
			o.maxAge = strconv.Itoa(c.PreflightMaxAgeInSeconds)
		}
	}
	o.headers = strings.Join(headers, ", ")
	apps, err := s.Store.ListApplications(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if !a.Active {
			continue
		}
		for _, v := range a.OAuthConfiguration.AuthorizedOriginURLs {
			if n := manage.NormalizeOrigin(v); n != "" && !slices.Contains(o.apps[n], a.ID) {
				o.apps[n] = append(o.apps[n], a.ID)
			}
		}
	}
	return o, nil
}
