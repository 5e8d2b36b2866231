package server

import (
	"net/http"
	"net/netip"
	"sync"
)

// A rate-limited request that is refused before it reaches its route's work
// (a content type other than JSON, a body that does not parse, an empty
// one) gives its token back: such a request costs nothing, and otherwise a
// foreign page could spend an address's bucket with no-cors posts a
// browser sends without a preflight (text/plain, form types) and lock
// sign-up for everyone behind that address. A request that reaches the use
// case keeps its token whatever the use case answers, so no more real
// attempts get through than the limit allows.

// refundKey carries the request's refund in its context.
type refundKey struct{}

// refund gives one request's token back, at most once.
type refund struct {
	once  sync.Once
	rates *limiter
	rule  *rateLimit
	addr  netip.Addr
}

// withRefund records that r took a token of rule for addr.
func withRefund(r *http.Request, rates *limiter, rule *rateLimit, addr netip.Addr) *http.Request {
	return withValue(r, refundKey{}, &refund{rates: rates, rule: rule, addr: addr})
}

// giveBackToken returns r's rate token, if it took one: called where a
// request is refused before its work (decodeJSON, signUp's body).
func giveBackToken(r *http.Request) {
	if f, ok := r.Context().Value(refundKey{}).(*refund); ok {
		f.once.Do(func() { f.rates.giveBack(f.rule, f.addr) })
	}
}

// giveBack adds one token to addr's bucket of rule, never beyond the limit;
// a bucket swept meanwhile is full already.
func (l *limiter) giveBack(rule *rateLimit, addr netip.Addr) {
	limit, _ := l.effective(rule)
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.rules[rule.name][clientPrefix(addr)]; b != nil {
		b.tokens = min(float64(limit), b.tokens+1)
	}
}
