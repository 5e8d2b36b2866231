package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// originTTL bounds how stale the allowed-origin set may be, so that a change
// made through another node applies everywhere within a second.
const originTTL = time.Second

const originAppsKey ctxKey = 200

// baseCORSHeaders are the request headers a browser client needs (DPoP for
// sender-constrained tokens, RFC 9449 §4.1); the system
// corsConfiguration.allowedHeaders adds to them.
var baseCORSHeaders = []string{"Accept", "Authorization", "Content-Type", "DPoP", "X-FusionAuth-TenantId", "X-Requested-With"}

// corsMethods is the CORS surface: the endpoints a browser SPA calls, with
// the methods it may use. Everything else, the management API in particular,
// gets no CORS headers at all (security-bar.md §4.6, A4).
func corsMethods(path string) []string {
	switch path {
	case "/api/login", "/api/jwt/refresh", "/api/logout", "/oauth2/token":
		return []string{"POST"}
	case "/api/jwt/validate", "/api/jwt/public-key", "/.well-known/jwks.json", "/.well-known/openid-configuration":
		return []string{"GET"}
	}
	return nil
}

// cookieSpending lists the endpoints that act on (or set) the cookies. A
// browser request to them from an origin that is not allowed is refused
// before the handler runs, so a page elsewhere can neither spend, rotate nor
// revoke the user's refresh token, nor log them in to another account
// (security-bar.md §4.7, R2, L14). Requests without Origin (non-browser
// clients) pass.
func cookieSpending(r *http.Request) bool {
	return r.Method == http.MethodPost &&
		(r.URL.Path == "/api/jwt/refresh" || r.URL.Path == "/api/logout" || r.URL.Path == "/api/login")
}

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

// cors answers preflights and adds CORS headers for allowed origins on the
// CORS surface. Allowed origins are the system corsConfiguration's (when
// enabled) plus every active application's authorizedOriginURLs, compared
// exactly after normalising the configured values: "null", other schemes,
// ports or look-alike hosts never match, and "*" is never honoured because
// these responses carry credentials (Fetch standard, CORS protocol).
func (s *Server) cors(next http.Handler) http.Handler {
	var (
		cur    atomic.Pointer[originSet]
		loadMu sync.Mutex
	)
	load := func(ctx context.Context) *originSet {
		now := s.Now()
		if o := cur.Load(); o != nil && fresh(o.at, now) {
			return o
		}
		loadMu.Lock()
		defer loadMu.Unlock()
		if o := cur.Load(); o != nil && fresh(o.at, now) {
			return o
		}
		o, err := s.loadOrigins(ctx, now)
		if err != nil {
			s.Logger.WarnContext(ctx, "cors: loading allowed origins failed", "error", err.Error())
			if old := cur.Load(); old != nil {
				return old // keep serving the last known set
			}
			return &originSet{} // fail closed
		}
		cur.Store(o)
		return o
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods := corsMethods(r.URL.Path)
		origin := r.Header.Get("Origin")
		if methods == nil || origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		set := load(r.Context())
		ok := set.allowed(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Add("Vary", "Access-Control-Request-Method")
			hdr.Add("Vary", "Access-Control-Request-Headers")
			if !ok || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
				writeEmpty(w, http.StatusForbidden)
				return
			}
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
			hdr.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
			hdr.Set("Access-Control-Allow-Headers", set.headers)
			hdr.Set("Access-Control-Max-Age", set.maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !ok {
			if cookieSpending(r) && !s.sameOrigin(r, origin) {
				var e Errors
				e.General("invalidOrigin", "The request's Origin is not an allowed origin of any application.")
				writeErrors(w, http.StatusForbidden, &e)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if slices.Contains(methods, r.Method) {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
		}
		if apps := set.apps[origin]; len(apps) == 1 && !set.system[origin] {
			r = r.WithContext(context.WithValue(r.Context(), originAppsKey, apps[0]))
		}
		next.ServeHTTP(w, r)
	})
}

// fresh: at most originTTL old and not from the future (a clock that moved
// back must not pin a stale set).
func fresh(at, now time.Time) bool {
	age := now.Sub(at)
	return age >= 0 && age < originTTL
}

// originApplication is the application an allowed Origin belongs to when it
// belongs to exactly one (and not to the system-wide list): refresh and
// logout from that origin act on that application's token only.
func originApplication(ctx context.Context) string {
	id, _ := ctx.Value(originAppsKey).(string)
	return id
}

// requestApplication is the application a refresh or logout acts on: the
// origin's, when the Origin belongs to exactly one, else the one the request
// names. ok is false when the origin belongs to one application and the
// request names another: a page of app A must never read, rotate or revoke
// app B's scoped refresh cookie just by naming B (security-bar.md R8), since
// the browser sends B's cookie with A's credentialed request all the same.
func requestApplication(ctx context.Context, named string) (id string, ok bool) {
	origin := originApplication(ctx)
	switch {
	case origin == "":
		return named, true
	case named != "" && named != origin:
		return "", false
	}
	return origin, true
}

// sameOrigin: the page is served by this host, so the request is not
// cross-origin at all.
func (s *Server) sameOrigin(r *http.Request, origin string) bool {
	return origin == normalizeOrigin(s.publicBase(r))
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
			if n := normalizeOrigin(v); n != "" {
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
			if n := normalizeOrigin(v); n != "" && !slices.Contains(o.apps[n], a.ID) {
				o.apps[n] = append(o.apps[n], a.ID)
			}
		}
	}
	return o, nil
}

// normalizeOrigin turns a configured URL into the serialised origin a
// browser sends (RFC 6454 §6.1): lower-case scheme and host, default port
// dropped, no path. Anything that is not an absolute http(s) URL with a host
// ("*", "null", "app.example.com") yields "" and is ignored.
func normalizeOrigin(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port
	}
	return u.Scheme + "://" + host
}
