package server

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// corsClass is who may call a route from a script on another origin.
type corsClass int

const (
	// corsNone: no CORS headers; a browser keeps other origins' scripts
	// from reading the answer (the management API, security-bar.md §4.6, A4).
	corsNone corsClass = iota
	// corsCredentialed: the allowed origins (cors_origins.go) may call it
	// with credentials (cookies); preflights are answered for them.
	corsCredentialed
	// corsAnyOrigin: a public file without credentials that any page may
	// load (the SDK): Access-Control-Allow-Origin: * and
	// Cross-Origin-Resource-Policy: cross-origin for pages that set COEP.
	corsAnyOrigin
)

// corsPath is the credentialed CORS surface of one path: the methods of its
// corsCredentialed routes. It is a Handler only so that a ServeMux can match
// paths (wildcards included) to it; it is never served.
type corsPath struct{ methods []string }

func (corsPath) ServeHTTP(http.ResponseWriter, *http.Request) {}

// corsSurface indexes the corsCredentialed routes by path: a preflight names
// a URL, not a route, and Vary: Origin belongs on every answer of such a URL.
func corsSurface(rs []route) *http.ServeMux {
	var paths []string
	methods := map[string][]string{}
	for _, rt := range rs {
		m, p, ok := strings.Cut(rt.pattern, " ")
		if rt.cors != corsCredentialed || !ok {
			continue
		}
		if _, seen := methods[p]; !seen {
			paths = append(paths, p)
		}
		methods[p] = append(methods[p], m)
	}
	mux := http.NewServeMux()
	for _, p := range paths {
		mux.Handle(p, corsPath{methods[p]})
	}
	return mux
}

// corsMethods returns the methods the path of r offers to allowed origins,
// nil when it is not on the CORS surface. A path the main mux would redirect
// (not clean) is not on it either.
func corsMethods(surface *http.ServeMux, r *http.Request) []string {
	h, _ := surface.Handler(r)
	p, ok := h.(corsPath)
	if !ok {
		return nil
	}
	return p.methods
}

// cors answers preflights and adds CORS headers for allowed origins on the
// CORS surface. Allowed origins are the system corsConfiguration's (when
// enabled) plus every active application's authorizedOriginURLs, compared
// exactly after normalising the configured values: "null", other schemes,
// ports or look-alike hosts never match. A system "*" (alone, with
// allowCredentials false, as FusionAuth allows it) lets every other origin
// call without credentials: it is answered "*", never with
// Access-Control-Allow-Credentials, and such an origin stays foreign to the
// cookie-spending routes (originSet.credentialed).
// Refusing a foreign origin on a cookie-spending route is guard's
// (guard.go): it is a property of the route, CORS or not.
func (s *Server) cors(surface *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		methods := corsMethods(surface, r)
		if methods == nil {
			next.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		set := s.allowedOrigins(r.Context())
		ok := set.allowed(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Add("Vary", "Access-Control-Request-Method")
			hdr.Add("Vary", "Access-Control-Request-Headers")
			if !ok || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
				writeEmpty(w, http.StatusForbidden)
				return
			}
			hdr.Set("Access-Control-Allow-Origin", set.allowOrigin(origin))
			if set.credentialed(origin) {
				hdr.Set("Access-Control-Allow-Credentials", "true")
			}
			hdr.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
			hdr.Set("Access-Control-Allow-Headers", set.headers)
			hdr.Set("Access-Control-Max-Age", set.maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if slices.Contains(methods, r.Method) {
			hdr.Set("Access-Control-Allow-Origin", set.allowOrigin(origin))
			if set.credentialed(origin) {
				hdr.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if _, sys := set.system[origin]; !sys && len(set.apps[origin]) == 1 {
			apps := set.apps[origin]
			r = withValue(r, originAppKey{}, apps[0])
		}
		next.ServeHTTP(w, r)
	})
}

// refuseForeignOrigin is the guard of a spendsCookie route: a browser
// request from an origin that is neither allowed nor this host is refused
// before the handler runs, so a page elsewhere can neither spend, rotate nor
// revoke the user's refresh token, nor log them in to another account
// (security-bar.md §4.7, R2, L14). An origin the system corsConfiguration
// allows with allowCredentials false is foreign here: it may read public
// answers, never spend a cookie. Requests without Origin (non-browser
// clients) pass, unless Sec-Fetch-Site says a browser sent it from another
// site (Fetch Metadata, W3C; a page cannot set a Sec- header): without an
// Origin to check it is foreign. same-site (an SPA on a sibling subdomain),
// same-origin and none keep passing. It reports whether it refused.
func (s *Server) refuseForeignOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	msg := "The request's Origin is not an allowed origin of any application."
	switch {
	case origin == "" && r.Header.Get("Sec-Fetch-Site") == "cross-site":
		msg = "A request from another site must carry an allowed Origin."
	case origin == "", s.allowedOrigins(r.Context()).credentialed(origin), s.sameOrigin(r, origin):
		return false
	}
	var e Errors
	e.General("invalidOrigin", msg)
	writeErrors(w, http.StatusForbidden, &e)
	return true
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
	return origin == manage.NormalizeOrigin(s.publicBase(r))
}
