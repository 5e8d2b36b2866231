package server_test

import (
	"strings"
	"testing"
)

// TestEveryRouteAnswersWithoutHTML walks the route table through the real
// App: every row, called with the super key and (where it reads one) an
// empty JSON object, answers without a 5xx, and only a row marked html may
// answer text/html (security-bar.md H3: a page needs its own CSP and review).
func TestEveryRouteAnswersWithoutHTML(t *testing.T) {
	s := newStack(t)
	ids := strings.NewReplacer("{id}", aliceID, "{userId}", aliceID, "{applicationId}", storeApp)
	for _, rt := range s.Srv.RoutesForTest() {
		t.Run(rt.Pattern, func(t *testing.T) {
			method, path, ok := strings.Cut(rt.Pattern, " ")
			if !ok {
				method, path = "PUT", rt.Pattern
			}
			c := call{method: method, path: ids.Replace(path), hdr: map[string]string{"Authorization": apiKey}}
			if rt.Body > 0 {
				c.body = "{}"
			}
			res := s.do(c)
			if res.status >= 500 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") && !rt.HTML {
				t.Fatalf("answers %s but its row is not marked html", ct)
			}
		})
	}
}
