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
