package server

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// rateLimit is a route's limit per client address: at most limit requests
// per window from one address, as a token bucket (a burst of limit, refilled
// evenly over window). The address is clientIP (the trusted-proxy rule, so
// a client cannot choose it), an IPv6 client counted by its /64 (one
// subscriber's prefix; its 2^64 addresses are one client). Requests with a
// valid API key are not counted: they come from a trusted backend, which
// may act for many people from one address (Kickstart, an import, a
// server-side login).
//
// The buckets live in the node's memory (docs/decisions.md "Rate limits per
// address live in each node's memory"): with N nodes behind a load balancer
// one address gets up to N×limit per window. Rows naming the same rule
// share its buckets (e.g. both forms of POST /api/user/change-password).
//
// To limit a route, set its row's rate to one of the rules below (or a new
// one); TestRouteTable checks the row and guard.go applies it.
type rateLimit struct {
	name   string // also the key of Limits.Rates, which overrides the numbers
	limit  int
	window time.Duration
}

// The rules. Numbers are per address and per node.
var (
	// rateSignUp: keyless self-service sign-up (10 accounts an hour).
	rateSignUp = &rateLimit{"sign-up", 10, time.Hour}
	// rateForgotPassword: reset mails asked for (10 per 10 minutes).
	rateForgotPassword = &rateLimit{"forgot-password", 10, 10 * time.Minute}
	// rateChangePassword: password changes and their checks (20 a minute),
	// which take a current password or a changePasswordId.
	rateChangePassword = &rateLimit{"change-password", 20, time.Minute}
	// rateVerifyEmail: verification mails asked for and ids presented
	// (20 per 10 minutes).
	rateVerifyEmail = &rateLimit{"verify-email", 20, 10 * time.Minute}
	// rateHostedLogin: the hosted login form (and POST authorization
	// requests) and its second step, 20 a minute together: the per-account
	// lockout does not stop one address trying one password on many
	// accounts.
	rateHostedLogin = &rateLimit{"hosted-login", 20, time.Minute}
	// rateCodes: keyless steps that take or mail a one-time code (the
	// second step of a login, an emailed login code, passwordless start,
	// send and login, a method removed with the user's JWT; 30 a minute).
	// Wrong codes also count toward the user's lockout; this bounds one
	// address across many users.
	rateCodes = &rateLimit{"one-time-codes", 30, time.Minute}
	// rateLogin: keyless password logins (/api/login, 120 a minute). The
	// lockout counts per account and address, so this is what bounds one
	// address trying a few passwords on many accounts; a household or an
	// office behind one address stays far below it.
	rateLogin = &rateLimit{"login", 120, time.Minute}
	// rateRefresh: refreshes (/api/jwt/refresh, by body or cookie; 600 a
	// minute: every tab of every user behind one address refreshes here).
	rateRefresh = &rateLimit{"refresh", 600, time.Minute}
	// rateToken: /oauth2/token, every grant (300 a minute). Confidential
	// clients authenticate with their secret, not an API key, so a busy
	// backend behind one address may need this raised (Limits.Rates).
	rateToken = &rateLimit{"token", 300, time.Minute}
)

// Rate overrides a rule's numbers (Limits.Rates); Limit 0 turns it off.
type Rate struct {
	Limit  int
	Window time.Duration
}

// maxBuckets bounds each rule's table: at 100 bytes an entry, 10 MB per
// rule. A full bucket carries no information, so when the table is full
// those go first; an address arriving while every entry is still draining
// (a flood from more than maxBuckets addresses within one window, which a
// per-address limit cannot stop anyway) is let through uncounted rather
// than refusing everyone.
const maxBuckets = 100_000

// limiter holds the buckets of every rule on this node.
type limiter struct {
	now       func() time.Time
	overrides map[string]Rate
	mu        sync.Mutex
	rules     map[string]map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last computed
}

func newLimiter(overrides map[string]Rate, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{now: now, overrides: overrides, rules: map[string]map[netip.Prefix]*bucket{}}
}

// effective is rule with the operator's or test's override applied.
func (l *limiter) effective(rule *rateLimit) (limit int, window time.Duration) {
	if o, ok := l.overrides[rule.name]; ok {
		return o.Limit, o.Window
	}
	return rule.limit, rule.window
}

// allow takes one token from addr's bucket of rule. When none is left it
// returns false and how long until one is.
func (l *limiter) allow(rule *rateLimit, addr netip.Addr) (bool, time.Duration) {
	limit, window := l.effective(rule)
	if limit <= 0 || window <= 0 || !addr.IsValid() {
		return true, 0
	}
	key := clientPrefix(addr)
	rate := float64(limit) / window.Seconds() // tokens per second
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.rules[rule.name]
	if m == nil {
		m = map[netip.Prefix]*bucket{}
		l.rules[rule.name] = m
	}
	b := m[key]
	if b == nil {
		if len(m) >= maxBuckets && !sweep(m, now, rate, limit) {
			return true, 0
		}
		b = &bucket{tokens: float64(limit), at: now}
		m[key] = b
	}
	b.tokens = math.Min(float64(limit), b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	// Rounded up to the millisecond: a wait is never promised shorter than
	// it is (float arithmetic lands a hair below whole seconds).
	return false, time.Duration(math.Ceil((1-b.tokens)/rate*1000-1e-6)) * time.Millisecond
}

// sweep drops the buckets that have refilled (they hold nothing a new one
// would not) and reports whether room was made.
func sweep(m map[netip.Prefix]*bucket, now time.Time, rate float64, limit int) bool {
	for k, b := range m {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= float64(limit) {
			delete(m, k)
		}
	}
	return len(m) < maxBuckets
}

// clientPrefix is what one client is: an IPv4 address, or an IPv6 /64.
func clientPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// rateLimited applies rt.rate to r: a request without a valid API key
// takes a token of its address's bucket, and a request finding none is
// answered 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3) and a
// FusionAuth-shaped body (OAuth's shape on /oauth2/). It returns the request
// to go on with (carrying the API key it looked up, so authentication does
// not look it up again) or nil after answering.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, rt *route, gate *Gate) *http.Request {
	k, ok, err := s.lookupAPIKey(r)
	if err != nil {
		s.writeInternal(w, r, err)
		return nil
	}
	r = withValue(r, keyLookupKey{}, keyLookup{key: k, ok: ok})
	if ok {
		return r
	}
	addr, _ := netip.ParseAddr(s.clientIP(r))
	allowed, wait := gate.rates.allow(rt.rate, addr)
	if allowed {
		return withRefund(r, gate.rates, rt.rate, addr)
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	s.rateEvent(r.Context(), r, rt)
	msg := "Too many requests from your address. Try again in " + strconv.Itoa(max(secs, 1)) + " seconds."
	if rt.html {
		s.errorPage(w, r, http.StatusTooManyRequests, "temporarily_unavailable", "rate_limited", msg, "")
		return nil
	}
	if rt.oauthErrors() {
		writeOAuthError(w, http.StatusTooManyRequests, OAuthError{Error: "temporarily_unavailable", Reason: "rate_limited", Description: msg})
		return nil
	}
	var e Errors
	e.General("RateLimitedException", msg)
	writeErrors(w, http.StatusTooManyRequests, &e)
	return nil
}

// rateEvent logs a refusal (security-bar.md G1): the rule and the address,
// nothing from the request body.
func (s *Server) rateEvent(ctx context.Context, r *http.Request, rt *route) {
	s.Logger.WarnContext(ctx, "security event", "event", "rate_limited", "outcome", rt.rate.name,
		"ip", s.clientIP(r), "route", rt.pattern, "request_id", requestID(ctx))
}
