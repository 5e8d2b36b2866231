package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// This file is the CORS origin cache: the set of allowed origins, read from
// the system configuration and the active applications, kept for at most
// originTTL on this node.

// originTTL bounds how stale the allowed-origin set may be, so that a change
// made through another node applies everywhere within a second.
const originTTL = time.Second

// baseCORSHeaders are the request headers a browser client needs (DPoP for
// sender-constrained tokens, RFC 9449 §4.1); the system
// corsConfiguration.allowedHeaders adds to them.
var baseCORSHeaders = []string{"Accept", "Authorization", "Content-Type", "DPoP", "X-FusionAuth-TenantId", "X-Requested-With"}

// originSet is one snapshot of the allowed origins.
type originSet struct {
	at      time.Time
	apps    map[string][]string // origin -> ids of active applications listing it
	system  map[string]bool     // origins from the enabled system corsConfiguration
	headers string
	maxAge  string
}

// allowed reports whether origin may make credentialed requests.
func (o *originSet) allowed(origin string) bool {
	return o.system[origin] || len(o.apps[origin]) > 0
}

// originCache holds the current originSet. A load failure keeps serving the
// last known set, or fails closed (no origin allowed) when there is none.
type originCache struct {
	s      *Server
	cur    atomic.Pointer[originSet]
	loadMu sync.Mutex
}

func newOriginCache(s *Server) *originCache { return &originCache{s: s} }

// load returns a set at most originTTL old, reading the store when needed
// (one reader at a time; the others wait for its result).
func (c *originCache) load(ctx context.Context) *originSet {
	now := c.s.Now()
	if o := c.cur.Load(); o != nil && fresh(o.at, now) {
		return o
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if o := c.cur.Load(); o != nil && fresh(o.at, now) {
		return o
	}
	o, err := c.s.loadOrigins(ctx, now)
	if err != nil {
		c.s.Logger.WarnContext(ctx, "cors: loading allowed origins failed", "error", err.Error())
		if old := c.cur.Load(); old != nil {
			return old // keep serving the last known set
		}
		return &originSet{} // fail closed
	}
	c.cur.Store(o)
	return o
}

// fresh: at most originTTL old and not from the future (a clock that moved
// back must not pin a stale set).
func fresh(at, now time.Time) bool {
	age := now.Sub(at)
	return age >= 0 && age < originTTL
}

// loadOrigins reads the system configuration and the active applications.
func (s *Server) loadOrigins(ctx context.Context, now time.Time) (*originSet, error) {
	o := &originSet{at: now, apps: map[string][]string{}, system: map[string]bool{}, maxAge: "1800"}
	headers := slices.Clone(baseCORSHeaders)
	sc, err := s.Store.GetSystemConfiguration(ctx)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if c := sc.CORSConfiguration; c.Enabled {
		for _, v := range c.AllowedOrigins {
			if n := manage.NormalizeOrigin(v); n != "" {
				o.system[n] = true
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
