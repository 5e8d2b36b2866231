package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/observe"
)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status, and the route guard matched, for the
// access log and the api_key_failure event.
type statusRecorder struct {
	http.ResponseWriter
	status int
	route  *route // nil: no route matched (404)
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware wraps every request, matched or not: request id, the request
// deadline, panic recovery (a generic 500, logged with the id, never a stack
// trace to the client), security headers, the draining answer of
// /api/status, an api_key_failure security event for a 401 on a route whose
// auth class uses API keys, and an access log line that names no secret: the
// route's pattern, not the path (whose segments can be live secrets, e.g. a
// changePasswordId or a twoFactorTrustId), no query string, no headers.
// What depends on the route is guard's (guard.go).
func (s *Server) middleware(gate *Gate, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		timeout := s.requestTimeout(w, r)
		ctx, endSpan := s.startSpan(observe.WithRequestID(r.Context(), id), r, id)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		observed := s.Metrics.RequestStarted()
		hdr := w.Header()
		hdr.Set("X-Request-Id", id)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		// default-src 'none' already covers object-src; it is spelled out
		// because scanners and security-bar.md H3 look for it by name.
		hdr.Set("Content-Security-Policy", "default-src 'none'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		if s.isHTTPS(r) {
			hdr.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.LogAttrs(ctx, slog.LevelError, "panic", slog.String("request_id", id),
					slog.String("route", routeLabel(rec.route)), slog.Any("panic", p))
				if rec.status == 0 {
					var e Errors
					e.General("InternalError", "An internal error occurred. Request id "+id+".")
					writeErrors(rec, http.StatusInternalServerError, &e)
				}
			}
			if rec.status == http.StatusUnauthorized && rec.route != nil && rec.route.auth.keyFailureEvent() {
				s.apiKeyFailure(ctx, r, rec.route, id)
			}
			d := time.Since(start)
			if rec.status == 0 {
				rec.status = http.StatusOK // nothing written: net/http sends 200
			}
			observed(routeLabel(rec.route), rec.status, d)
			endSpan(rec)
			s.Logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("request_id", id),
				slog.String("method", r.Method), slog.String("route", routeLabel(rec.route)),
				slog.Int("status", rec.status), slog.Duration("duration", d))
		}()
		if drainingStatus(rec, r, gate) {
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// apiKeyFailure logs the security event for a refused API key
// (security-bar.md G1, §4.12). It names whether a key was presented, never
// the key, and the route only (neither a key put in the query string nor
// an identifier in the path).
func (s *Server) apiKeyFailure(ctx context.Context, r *http.Request, rt *route, id string) {
	s.Logger.LogAttrs(ctx, slog.LevelWarn, "security event", slog.String("event", "api_key_failure"),
		slog.String("outcome", "refused"), slog.Bool("key_presented", r.Header.Get("Authorization") != ""),
		slog.String("method", r.Method), slog.String("route", routeLabel(rt)),
		slog.String("ip", s.clientIP(r)), slog.String("request_id", id))
}

// peerIP is the socket peer address.
func peerIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// trusted reports whether the peer is a configured trusted proxy.
func (s *Server) trusted(r *http.Request) bool {
	ip := peerIP(r)
	for _, p := range s.Config.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the socket peer, or the right-most untrusted X-Forwarded-For
// entry when the peer is a trusted proxy. A direct client cannot spoof it.
func (s *Server) clientIP(r *http.Request) string {
	ip := peerIP(r)
	if !s.trusted(r) {
		return ip.String()
	}
	parts := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		inTrusted := false
		for _, p := range s.Config.TrustedProxies {
			if p.Contains(a) {
				inTrusted = true
				break
			}
		}
		if !inTrusted {
			return a.String()
		}
	}
	return ip.String()
}

// isHTTPS reports whether the client's request came over TLS, directly or as
// told by a trusted proxy's X-Forwarded-Proto.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.trusted(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
