package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// gatedTenant: the tenant verifies email addresses and gates unverified
// users (212).
func gatedTenant(_ map[string]*storage.Application, tn *storage.Tenant) {
	tn.EmailConfiguration.VerifyEmail, tn.EmailConfiguration.Unverified.Behavior = true, "Gated"
}

// requirePasswordChange sets user id's passwordChangeRequired through the
// user API.
func requirePasswordChange(t *testing.T, s *stack, id string) {
	t.Helper()
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/user/" + id, hdr: admin,
		body: `{"user":{"passwordChangeRequired":true}}`}), 200)
}

// userTraces are a user's live refresh tokens and lastLoginInstant.
func userTraces(t *testing.T, s *stack, id string) (int, any) {
	t.Helper()
	live, err := s.Store.ListRefreshTokens(t.Context(), id)
	must(t, err)
	return len(live), s.apiOK("GET", "/api/user/"+id, nil)["user"].(map[string]any)["lastLoginInstant"]
}

// TestIdentityProviderLoginPasswordChangeAndUnverifiedEmail (adversarial):
// a login through the identity provider is judged by a password login's
// rules after the provider, as FusionAuth's Complete Login answers them.
// Where the tenant gates unverified email addresses, a user whose email is
// not verified (carol, created from an upstream account that did not
// verify it) gets 212 with the user from POST /api/identity-provider/login
// and no token, cookie, refresh token or lastLoginInstant. Alice, who has
// a password and must change it (passwordChangeRequired), gets 203 with a
// changePasswordId (Administrative) and nothing else; the hosted "Sign in
// with Upstream" shows her the login page's change-password message and
// gives the client no code and the browser no session. Dave, whom the
// provider created without a password, is never asked to change one (a
// 203 there would ask for a password he never had; FusionAuth keeps no
// passwordChangeRequired on such a user): 200 with tokens.
func TestIdentityProviderLoginPasswordChangeAndUnverifiedEmail(t *testing.T) {
	down := newOAuthStack(t, gatedTenant)
	up := newUpstream(t, upstreamUser{aliceEmail, true}, upstreamUser{"carol@example.test", false}, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	down.Clock.Advance(time.Minute) // a login now would write a later lastLoginInstant

	res := idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	if res.status != 212 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("unverified email, gated: %d %s, cookies %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	body := res.json(t)
	carol, _ := body["user"].(map[string]any)
	if carol["email"] != "carol@example.test" || carol["verified"] != false || body["token"] != nil || body["refreshToken"] != nil {
		t.Fatalf("212 body %s", res.body)
	}
	if live, last := userTraces(t, down, carol["id"].(string)); live != 0 || last != nil {
		t.Fatalf("the 212 left %d refresh tokens, lastLoginInstant %v", live, last)
	}

	requirePasswordChange(t, down, aliceID)
	before := traceAlice(t, down)
	res = idpLogin(down, upstreamCode(t, up, aliceEmail))
	if res.status != 203 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("password change required: %d %s, cookies %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	if body := res.json(t); body["changePasswordId"] == nil || body["changePasswordReason"] != "Administrative" || body["token"] != nil {
		t.Fatalf("203 body %s", res.body)
	}
	if now := traceAlice(t, down); now != before {
		t.Fatalf("the 203 left traces: %+v → %+v", before, now)
	}
	_, challenge := pkce("federated-203-")
	b := newBrowser(down)
	page := b.get(upstreamCallback(t, b, down, up, aliceEmail, challenge))
	if page.status != 200 || page.header.Get("Location") != "" || cookieValue(page, "latchkey_sso") != "" ||
		!strings.Contains(string(page.body), "must be changed before you can sign in") {
		t.Fatalf("hosted sign-in, password change required: %d Location %q: %.400s", page.status, page.header.Get("Location"), page.body)
	}
	if now := traceAlice(t, down); now != before {
		t.Fatalf("the hosted 203 left traces: %+v → %+v", before, now)
	}

	res = idpLogin(down, upstreamCode(t, up, "dave@example.test"))
	if res.status != 200 {
		t.Fatalf("dave's first login: %d %s", res.status, res.body)
	}
	dave := res.json(t)["user"].(map[string]any)["id"].(string)
	requirePasswordChange(t, down, dave)
	if res := idpLogin(down, upstreamCode(t, up, "dave@example.test")); res.status != 200 || res.json(t)["token"] == nil {
		t.Fatalf("a user without a password, passwordChangeRequired: %d %s", res.status, res.body)
	}
}
