package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// otherTenantKey is an API key scoped to withOtherTenant's tenant.
const otherTenantKey = "other-tenant-key-0123456789abcdef0123456789abcdef"

// TestIdentityProviderPendingLink (FusionAuth's "Create a Pending Link"):
// a login through a provider with CreatePendingLink whose upstream account
// is linked to nobody answers 232 with only a pendingIdPLinkId, and logs
// nobody in and creates nobody; the Link API reads the pending link (the
// provider, the upstream id, email and display name, and a user's link
// count) and links it to a user; the next login through the provider is
// that user's. A pending link links once.
func TestIdentityProviderPendingLink(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	carolSub := "9b8c7d6e-0000-4000-8000-000000000100"
	federate(t, down, up, "CreatePendingLink")
	users := down.userCount()

	r := idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	body := r.json(t)
	id, _ := body["pendingIdPLinkId"].(string)
	if r.status != 232 || id == "" || len(body) != 1 || cookieValue(r, "refresh_token") != "" {
		t.Fatalf("a login waiting for its link: %d %s", r.status, r.body)
	}
	if n := down.userCount(); n != users || len(down.storedLinks(aliceID)) != 0 {
		t.Fatalf("a pending link created %d users or linked alice", n-users)
	}

	got := down.apiOK("GET", "/api/identity-provider/link/pending/"+id+"?userId="+aliceID, nil)
	pl := got["pendingIdPLink"].(map[string]any)
	if pl["identityProviderId"] != idpID || pl["identityProviderName"] != "Upstream" || pl["identityProviderType"] != "OpenIDConnect" ||
		pl["identityProviderUserId"] != carolSub || pl["email"] != "carol@example.test" || pl["displayName"] != "carol@example.test" ||
		got["linkCount"] != 0.0 {
		t.Fatalf("the pending link: %v", got)
	}
	if got := down.apiOK("GET", "/api/identity-provider/link/pending/"+id, nil); got["linkCount"] != nil {
		t.Fatalf("linkCount without a userId: %v", got)
	}

	l := down.apiOK("POST", "/api/identity-provider/link", map[string]any{"pendingIdPLinkId": id,
		"identityProviderLink": map[string]any{"userId": aliceID}})["identityProviderLink"].(map[string]any)
	if l["userId"] != aliceID || l["identityProviderUserId"] != carolSub || l["identityProviderId"] != idpID {
		t.Fatalf("the completed link: %v", l)
	}
	r = idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	if r.status != 200 || r.json(t)["user"].(map[string]any)["id"] != aliceID {
		t.Fatalf("the login after the link: %d %s", r.status, r.body)
	}
	if res := down.api("GET", "/api/identity-provider/link/pending/"+id, nil); res.status != 404 {
		t.Fatalf("the used pending link: %d %s", res.status, res.body)
	}
	res := down.api("POST", "/api/identity-provider/link", map[string]any{"pendingIdPLinkId": id, "identityProviderLink": map[string]any{"userId": aliceID}})
	if res.status != 400 || !strings.Contains(string(res.body), "[invalid]pendingIdPLinkId") {
		t.Fatalf("the used pending link again: %d %s", res.status, res.body)
	}
}

// TestIdentityProviderPendingLinkRefusals (adversarial): an unknown or
// expired pending link is 404 to read and [invalid]pendingIdPLinkId to
// complete; a user of another tenant is [invalid]identityProviderLink.userId
// and leaves the pending link usable; a key scoped to another tenant
// neither reads nor completes it. Nothing is linked by any of them.
func TestIdentityProviderPendingLinkRefusals(t *testing.T) {
	down := newOAuthStack(t)
	down.withOtherTenant()
	must(t, down.Store.CreateAPIKey(context.Background(), storage.APIKey{ID: "0f1a2b3c-0000-4000-8000-0000000000e9", TenantID: otherTenant,
		KeyHash: manage.HashAPIKey(otherTenantKey), KeyManager: true, InsertInstant: down.Clock.Now().UnixMilli()}))
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	id, _ := idpLogin(down, upstreamCode(t, up, "carol@example.test")).json(t)["pendingIdPLinkId"].(string)
	complete := func(id, userID string) map[string]any {
		return map[string]any{"pendingIdPLinkId": id, "identityProviderLink": map[string]any{"userId": userID}}
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		key                string
		status             int
		code               string
	}{
		{"read, unknown", "GET", "/api/identity-provider/link/pending/nope", nil, apiKey, 404, ""},
		{"complete, unknown", "POST", "/api/identity-provider/link", complete("nope", aliceID), apiKey, 400, "[invalid]pendingIdPLinkId"},
		{"complete, another tenant's user", "POST", "/api/identity-provider/link", complete(id, otherUserID), apiKey, 400, "[invalid]identityProviderLink.userId"},
		{"complete, unknown user", "POST", "/api/identity-provider/link", complete(id, "0f1a2b3c-0000-4000-8000-0000000000ee"), apiKey, 400, "[invalid]identityProviderLink.userId"},
		{"read, another tenant's key", "GET", "/api/identity-provider/link/pending/" + id, nil, otherTenantKey, 404, ""},
		{"complete, another tenant's key", "POST", "/api/identity-provider/link", complete(id, otherUserID), otherTenantKey, 400, "[invalid]pendingIdPLinkId"},
		{"read, a bad userId", "GET", "/api/identity-provider/link/pending/" + id + "?userId=x", nil, apiKey, 400, "userId"},
	} {
		res := down.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	if len(down.storedLinks(aliceID)) != 0 || len(down.storedLinks(otherUserID)) != 0 {
		t.Fatal("a refused completion linked someone")
	}
	if res := down.api("GET", "/api/identity-provider/link/pending/"+id, nil); res.status != 200 {
		t.Fatalf("the pending link after the refusals: %d %s", res.status, res.body)
	}
	down.Clock.Advance(time.Hour + time.Second)
	if res := down.api("GET", "/api/identity-provider/link/pending/"+id, nil); res.status != 404 {
		t.Fatalf("an expired pending link: %d %s", res.status, res.body)
	}
	if res := down.api("POST", "/api/identity-provider/link", complete(id, aliceID)); res.status != 400 || len(down.storedLinks(aliceID)) != 0 {
		t.Fatalf("an expired pending link completed: %d %s", res.status, res.body)
	}
}

// TestHostedSignInWithPendingLink: on the hosted login page, "Sign in with
// Upstream" under CreatePendingLink with an account linked to nobody shows
// the login form saying which upstream account waits (no code yet, nobody
// linked); a wrong password links nothing and the form says so again;
// signing in as alice then finishes the authorization for her and links
// the upstream account to her, so the next "Sign in with Upstream" in
// another browser is alice's at once.
func TestHostedSignInWithPendingLink(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	_, challenge := pkce("pending-")
	b := newBrowser(down)
	page := b.get(upstreamCallback(t, b, down, up, "carol@example.test", challenge))
	notice := "You signed in with Upstream as <strong>carol@example.test</strong>."
	if page.status != 200 || !strings.Contains(string(page.body), notice) || page.header.Get("Location") != "" {
		t.Fatalf("the pending link's page: %d %s", page.status, page.body)
	}
	if len(down.storedLinks(aliceID)) != 0 {
		t.Fatal("linked before anyone signed in")
	}
	wrong := b.submitLogin(page, aliceEmail, "not-her-password")
	if wrong.header.Get("Location") != "" || !strings.Contains(string(wrong.body), notice) || len(down.storedLinks(aliceID)) != 0 {
		t.Fatalf("a wrong password: %d %s", wrong.status, wrong.body)
	}
	q := redirectQuery(t, b.submitLogin(wrong, aliceEmail, alicePass), forumsCallback)
	if q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("alice's sign-in: %v", q)
	}
	if got := down.storedLinks(aliceID); len(got) != 1 || got[0] != idpID+"/9b8c7d6e-0000-4000-8000-000000000100" {
		t.Fatalf("alice's links after her sign-in: %v", got)
	}
	// The cookie is gone: alice's next sign-in links nothing more, and the
	// page says nothing of a pending link.
	if again := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge).Encode()); strings.Contains(string(again.body), "pending-link") {
		t.Fatalf("the notice after the link: %s", again.body)
	}
	verifier2, challenge2 := pkce("pending-2-")
	_, q2 := signInWithUpstream(t, newBrowser(down), down, up, "carol@example.test", challenge2)
	if id := idTokenClaims(t, down.exchange(forumsApp, q2.Get("code"), forumsCallback, verifier2)); id["sub"] != aliceID {
		t.Fatalf("the next sign-in with Upstream: %v", id)
	}
}

// TestHostedPendingLinkStaysWithItsForm (adversarial): a pending link is
// bound to the login form its sign-in through the provider showed. When
// carol leaves that page and alice, at the same browser, signs in through
// another authorization request (another application's), nothing is linked
// to alice and her page says nothing of carol's account; the browser's
// pending link is gone after her sign-in. A form that names a token the
// cookie does not hold links nothing either.
func TestHostedPendingLinkStaysWithItsForm(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	_, challenge := pkce("pending-")
	b := newBrowser(down)
	carols := b.get(upstreamCallback(t, b, down, up, "carol@example.test", challenge))
	if !strings.Contains(string(carols.body), "carol@example.test") {
		t.Fatalf("the pending link's page: %d %s", carols.status, carols.body)
	}

	forged := formFields(t, carols)
	forged.Set("pending_link", "not-the-token")
	forged.Set("loginId", aliceEmail)
	forged.Set("password", alicePass)
	b.send("POST", "/oauth2/authorize", forged.Encode(), map[string]string{"Origin": down.URL, "Sec-Fetch-Site": "same-origin"})
	if got := down.storedLinks(aliceID); len(got) != 0 {
		t.Fatalf("a form with another token linked alice: %v", got)
	}

	b2 := newBrowser(down)
	carols = b2.get(upstreamCallback(t, b2, down, up, "carol@example.test", challenge))
	_, challenge2 := pkce("alice-")
	alices := b2.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge2).Encode())
	if strings.Contains(string(alices.body), "carol@example.test") || strings.Contains(string(alices.body), "pending-link") {
		t.Fatalf("alice's own sign-in page names carol's pending link: %s", alices.body)
	}
	if q := redirectQuery(t, b2.submitLogin(alices, aliceEmail, alicePass), storeCallback); q.Get("code") == "" {
		t.Fatalf("alice's sign-in: %v", q)
	}
	if got := down.storedLinks(aliceID); len(got) != 0 {
		t.Fatalf("carol's upstream account was linked to alice: %v", got)
	}
	// Carol's abandoned form, submitted after alice's sign-in dropped the
	// cookie, links nothing.
	b2.submitLogin(carols, aliceEmail, alicePass)
	if got := down.storedLinks(aliceID); len(got) != 0 {
		t.Fatalf("the abandoned form linked after the cookie was dropped: %v", got)
	}
}
