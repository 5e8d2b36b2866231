package server

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/password"
)

// Handler returns the complete HTTP handler: the route table wrapped in the
// middleware every request passes through.
func (s *Server) Handler() http.Handler { return s.handler(s.routes()) }

// handler serves rs: each row behind guard, unknown paths a 404, the
// whole behind CORS and the request middleware (middleware.go). Tests pass a
// table whose handlers they replaced, to exercise the real middleware.
func (s *Server) handler(rs []route) http.Handler {
	gate := s.Gate
	if gate == nil {
		gate = NewGate(Limits{})
	}
	s.gate = gate
	s.paths = indexPaths(rs)
	s.longRoutes = indexLongRoutes(rs)
	mux := http.NewServeMux()
	for i := range rs {
		mux.Handle(rs[i].pattern, s.guard(&rs[i], gate))
	}
	mux.HandleFunc("/", s.notFound)
	return s.middleware(gate, s.cors(corsSurface(rs), mux))
}

// notFound answers what no row serves: 405 with Allow when the path is one
// the table names literally with other methods (the mux's catch-all "/"
// takes those too), else 404; FusionAuth's error body (unknown_paths.go).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeUnknownPath(w, r, s.paths.methods[r.URL.Path])
}

// guard is the one middleware that reads a route's row, in this order: the
// CSRF guard of cookie-spending routes, the console's same-origin rule,
// public CORS headers, the body
// bound, the per-address rate limit, the console's form (read within the
// bound: 413 over it), the hashing gate, authentication and
// the tenant header. An API key
// is checked before the tenant header (a key's tenant must match it); other
// credentials after, so a bad header is reported before any token is looked at.
func (s *Server) guard(rt *route, gate *Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*statusRecorder); ok {
			rec.route = rt // for the api_key_failure event (middleware.go)
		}
		if allow, ok := s.paths.shadowed(rt.pattern, r.URL.Path); ok {
			writeUnknownPath(w, r, allow)
			return
		}
		if rt.spendsCookie && s.refuseForeignOrigin(w, r) {
			return
		}
		if rt.sameOrigin && s.refuseCrossSite(w, r) {
			return
		}
		if rt.cors == corsAnyOrigin {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		if rt.body > 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, rt.body)
		} else {
			r.Body = http.NoBody
		}
		if rt.hostedForm && !s.checkHostedForm(w, r) {
			return
		}
		if rt.rate != nil {
			if r = s.rateLimited(w, r, rt, gate); r == nil {
				return
			}
		}
		if rt.sameOrigin && !s.readConsoleForm(w, r) {
			return
		}
		if rt.password != noPassword {
			_, span := s.childSpan(r.Context(), "hash gate")
			release, ok := s.admit(w, r, rt, gate)
			span.End()
			if !ok {
				return
			}
			defer release()
			// The login gives the slot back once its hash has answered.
			// Each of the request's hashes waits for its turn no longer
			// than the request could wait for the slot.
			r = r.WithContext(password.WithTurnWait(auth.WithHashSlot(r.Context(), release), gate.wait))
		}
		keyFirst := rt.auth.kind == authAPIKey || rt.auth.kind == authKeyOrAnonymous
		if keyFirst {
			var ok bool
			if r, ok = s.traceAuthenticate(w, r, rt.auth); !ok {
				return
			}
		}
		if rt.global && refuseScoped(w, r) {
			return
		}
		if rt.tenantHeader && !checkTenantHeader(w, r, rt.auth) {
			return
		}
		if !keyFirst {
			var ok bool
			if r, ok = s.traceAuthenticate(w, r, rt.auth); !ok {
				return
			}
		}
		rt.handler(w, r)
	})
}

// oauthErrors: routes under /oauth2/ answer errors in OAuth 2.0's format
// (RFC 6749 §5.2), every other one in FusionAuth's.
func (rt *route) oauthErrors() bool {
	_, p, _ := strings.Cut(rt.pattern, " ")
	return strings.HasPrefix(p, "/oauth2/") || strings.HasPrefix(rt.pattern, "/oauth2/")
}

// traceAuthenticate is authenticate inside an "authenticate" span (API key
// lookup, token verification); the handler then runs under the request's
// span again, with the values authenticate added.
func (s *Server) traceAuthenticate(w http.ResponseWriter, r *http.Request, a authClass) (*http.Request, bool) {
	if s.Tracing == nil || !s.Tracing.Enabled {
		return s.authenticate(w, r, a)
	}
	parent := trace.SpanFromContext(r.Context())
	ctx, span := s.childSpan(r.Context(), "authenticate")
	defer span.End()
	r2, ok := s.authenticate(w, r.WithContext(ctx), a)
	if !ok {
		return r2, false
	}
	return r2.WithContext(trace.ContextWithSpan(r2.Context(), parent)), true
}
