package server_test

import (
	"net/http"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestSignUpRateLimitRefusedBodies: keyless sign-ups whose body is refused
// before the sign-up's work (the no-cors posts another site's page can make
// a visitor's browser send: text/plain, 415; JSON that does not parse or
// has the wrong shape)
// cost the address nothing, so the victim's registration form still goes
// through afterwards; sign-ups that reach the use case still count, refused
// or not, and the limit holds for them.
func TestSignUpRateLimitRefusedBodies(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "sign-up=3/1h" }}, registerOpen)
	b := newBrowser(s)
	_, challenge := pkce("refused-bodies")
	page := b.openRegister(authzQuery(storeApp, storeCallback, challenge))
	foreign := map[string]string{"Origin": "https://evil.example.test", "Content-Type": "text/plain"}
	for range 4 {
		if res := s.do(call{method: "POST", path: "/api/user/registration", hdr: foreign, body: `x`}); res.status != http.StatusUnsupportedMediaType {
			t.Fatalf("foreign text/plain post: %d %s", res.status, res.body)
		}
	}
	for _, body := range []string{`{"user":`, `{"user":`, `{"user":5}`, `{"user":5}`} {
		if res := s.do(call{method: "POST", path: "/api/user/registration", body: body}); res.status != http.StatusBadRequest {
			t.Fatalf("body %s: %d %s", body, res.status, res.body)
		}
	}
	if res := b.submitRegister(page, dora()); res.status != http.StatusFound {
		t.Fatalf("the victim's form after refused bodies: %d %.300s", res.status, res.body)
	}
	for range 2 {
		if res := s.do(call{method: "POST", path: "/api/user/registration",
			body: `{"user":{"email":"api@example.test","password":"short"},"registration":{"applicationId":"` + storeApp + `"}}`}); res.status != http.StatusBadRequest {
			t.Fatalf("refused API sign-up: %d %s", res.status, res.body)
		}
	}
	res := s.do(call{method: "POST", path: "/api/user/registration",
		body: `{"user":{"email":"fourth@example.test","password":"dora's own passphrase"},"registration":{"applicationId":"` + storeApp + `"}}`})
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("fourth sign-up that reached the use case: %d %s", res.status, res.body)
	}
	s.noUser("fourth@example.test")
}
