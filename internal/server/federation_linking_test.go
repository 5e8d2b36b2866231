package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// upstreamAccount adds an account with email and username (either may be
// empty) at the upstream provider, registered for the downstream client,
// and returns its id there (the sub of its id token).
func upstreamAccount(t *testing.T, up *stack, n int, email, username string) string {
	t.Helper()
	ctx := context.Background()
	ph, err := password.Hash(ctx, alicePass, "salted-pbkdf2-hmac-sha256", testFactor)
	must(t, err)
	id := fmt.Sprintf("9b8c7d6e-0000-4000-8000-0000000003%02d", n)
	must(t, up.Store.CreateUser(ctx, storage.User{ID: id, TenantID: tenantID, Active: true, Email: email, Username: username,
		Verified: true, Password: ph}))
	must(t, up.Store.CreateRegistration(ctx, storage.Registration{ID: fmt.Sprintf("9b8c7d6e-0000-4000-8000-0000000004%02d", n),
		UserID: id, ApplicationID: upstreamApp, Roles: []string{}}))
	return id
}

// setStrategy changes the downstream provider's linking strategy.
func setStrategy(t *testing.T, down *stack, strategy string) {
	t.Helper()
	down.apiOK("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"linkingStrategy": strategy}})
}

// TestIdentityProviderLinkingByUsername (FusionAuth's "Link On Username"):
// the upstream's preferred_username links to the local user with that
// username whatever the emails; a new username creates a user with it
// (LinkByUsername) or is refused (LinkByUsernameForExistingUser, 404).
// Adversarial: an upstream username that is a local user's email, a
// look-alike of a local username, or none at all is refused (400
// IdentityProviderLinkRefused) and creates no user.
func TestIdentityProviderLinkingByUsername(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t)
	upstreamAccount(t, up, 1, "someone@upstream.test", "alice") // alice's username here
	upstreamAccount(t, up, 2, "dave@upstream.test", "dave")
	upstreamAccount(t, up, 3, "mallory@upstream.test", aliceEmail)    // alice's email here
	upstreamAccount(t, up, 4, "mallory2@upstream.test", "\u0430lice") // a Cyrillic а
	upstreamAccount(t, up, 5, "nameless@upstream.test", "")
	upstreamAccount(t, up, 6, "erin@upstream.test", "erin")
	federate(t, down, up, "LinkByUsernameForExistingUser")

	if r := idpLogin(down, upstreamCode(t, up, "erin@upstream.test")); r.status != 404 {
		t.Fatalf("LinkByUsernameForExistingUser, a new username: %d %s", r.status, r.body)
	}
	r := idpLogin(down, upstreamCode(t, up, "someone@upstream.test"))
	if r.status != 200 || r.json(t)["user"].(map[string]any)["id"] != aliceID {
		t.Fatalf("link by username to alice: %d %s", r.status, r.body)
	}
	if got := down.storedLinks(aliceID); len(got) != 1 {
		t.Fatalf("alice's links: %v", got)
	}

	setStrategy(t, down, "LinkByUsername")
	r = idpLogin(down, upstreamCode(t, up, "dave@upstream.test"))
	dave := r.json(t)["user"].(map[string]any)
	if r.status != 200 || dave["username"] != "dave" || dave["email"] != nil || dave["id"] == aliceID {
		t.Fatalf("LinkByUsername, a new username: %d %s", r.status, r.body)
	}
	if again := idpLogin(down, upstreamCode(t, up, "dave@upstream.test")).json(t); again["user"].(map[string]any)["id"] != dave["id"] {
		t.Fatal("a second login made a second user")
	}

	users := down.userCount()
	for _, email := range []string{"mallory@upstream.test", "mallory2@upstream.test", "nameless@upstream.test"} {
		if r := idpLogin(down, upstreamCode(t, up, email)); r.status != 400 || !strings.Contains(string(r.body), "IdentityProviderLinkRefused") {
			t.Fatalf("%s: %d %s", email, r.status, r.body)
		}
	}
	if n := down.userCount(); n != users {
		t.Fatalf("refused logins created %d users", n-users)
	}
	if got := down.storedLinks(aliceID); len(got) != 1 {
		t.Fatalf("alice's links after the refusals: %v", got)
	}
}

// TestIdentityProviderLinkingAnonymously (FusionAuth's "Anonymously
// Link"): a new upstream account gets a user with neither email nor
// username, registered and issued tokens; the next login finds it through
// the link; the link is named by the upstream email. An upstream email
// equal to a local user's links nothing to that user.
func TestIdentityProviderLinkingAnonymously(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	upstreamAccount(t, up, 1, "frank@upstream.test", "frank")
	federate(t, down, up, "LinkAnonymously")

	r := idpLogin(down, upstreamCode(t, up, "frank@upstream.test"))
	body := r.json(t)
	u := body["user"].(map[string]any)
	if r.status != 200 || u["email"] != nil || u["username"] != nil || body["token"] == nil {
		t.Fatalf("anonymous link: %d %s", r.status, r.body)
	}
	if again := idpLogin(down, upstreamCode(t, up, "frank@upstream.test")).json(t); again["user"].(map[string]any)["id"] != u["id"] {
		t.Fatal("a second login made a second user")
	}
	l := down.apiOK("GET", "/api/identity-provider/link?userId="+u["id"].(string), nil)["identityProviderLinks"].([]any)
	if len(l) != 1 || l[0].(map[string]any)["displayName"] != "frank@upstream.test" {
		t.Fatalf("the anonymous user's link: %v", l)
	}
	r = idpLogin(down, upstreamCode(t, up, aliceEmail))
	if r.status != 200 || r.json(t)["user"].(map[string]any)["id"] == aliceID || len(down.storedLinks(aliceID)) != 0 {
		t.Fatalf("an anonymous link reached alice by her email: %d %s", r.status, r.body)
	}
}

// userCount is how many users the stack's store holds (every tenant).
func (s *stack) userCount() int {
	s.t.Helper()
	return int(s.apiOK("POST", "/api/user/search", map[string]any{"search": map[string]any{"queryString": "*", "numberOfResults": 1}})["total"].(float64))
}
