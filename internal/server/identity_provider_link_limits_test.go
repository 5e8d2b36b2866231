package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// limitConfig is an identityProvider.tenantConfiguration limiting the
// links of tenantID's users to max (omitted when max is 0: FusionAuth's
// default, 42).
func limitConfig(enabled bool, max int) map[string]any {
	policy := map[string]any{"enabled": enabled}
	if max != 0 {
		policy["maximumLinks"] = max
	}
	return map[string]any{tenantID: map[string]any{"limitUserLinkCount": policy}}
}

// setLinkLimit PATCHes provider id's tenantConfiguration.
func (s *stack) setLinkLimit(id string, tc map[string]any) {
	s.t.Helper()
	s.apiOK("PATCH", "/api/identity-provider/"+id, map[string]any{"identityProvider": map[string]any{"tenantConfiguration": tc}})
}

// TestIdentityProviderTenantConfiguration: a provider's tenantConfiguration
// is stored and answered, maximumLinks 42 when omitted (FusionAuth's
// default). Refused, the provider unchanged: a key that is no tenant's id
// or an unknown tenant's, maximumLinks below 1, more than 500 tenants.
func TestIdentityProviderTenantConfiguration(t *testing.T) {
	s := newStack(t)
	s.withProvider(linkIdP, "Upstream", true)
	s.setLinkLimit(linkIdP, limitConfig(true, 0))
	got := s.apiOK("GET", "/api/identity-provider/"+linkIdP, nil)["identityProvider"].(map[string]any)
	want := map[string]any{tenantID: map[string]any{"limitUserLinkCount": map[string]any{"enabled": true, "maximumLinks": 42.0}}}
	if fmt.Sprint(got["tenantConfiguration"]) != fmt.Sprint(want) {
		t.Fatalf("tenantConfiguration %v, want %v", got["tenantConfiguration"], want)
	}
	many := map[string]any{}
	for i := range 501 {
		many[fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", i)] = map[string]any{}
	}
	for _, c := range []struct {
		name string
		tc   map[string]any
		code string
	}{
		{"not an id", map[string]any{"nope": map[string]any{}}, "[invalid]identityProvider.tenantConfiguration"},
		{"unknown tenant", map[string]any{"0f1a2b3c-0000-4000-8000-0000000000ee": map[string]any{}}, "[invalid]identityProvider.tenantConfiguration"},
		{"maximumLinks 0", limitConfig(true, -1), "[invalid]identityProvider.tenantConfiguration.limitUserLinkCount.maximumLinks"},
		{"too many tenants", many, "[tooMany]identityProvider.tenantConfiguration"},
	} {
		if c.name == "maximumLinks 0" {
			c.tc[tenantID].(map[string]any)["limitUserLinkCount"].(map[string]any)["maximumLinks"] = 0
		}
		res := s.api("PATCH", "/api/identity-provider/"+linkIdP, map[string]any{"identityProvider": map[string]any{"tenantConfiguration": c.tc}})
		if res.status != 400 || !strings.Contains(string(res.body), `"`+c.code+`"`) {
			t.Errorf("%s: %d %s, want 400 %s", c.name, res.status, res.body, c.code)
		}
	}
	after := s.apiOK("GET", "/api/identity-provider/"+linkIdP, nil)["identityProvider"].(map[string]any)
	if fmt.Sprint(after["tenantConfiguration"]) != fmt.Sprint(want) {
		t.Fatalf("tenantConfiguration after the refusals %v", after["tenantConfiguration"])
	}
}

// TestIdentityProviderLinkLimit (adversarial): with the provider's limit
// of 2 links for the tenant, alice gets two links to it and the third is
// 400 [tooMany]identityProviderLink.userId with nothing stored, not even
// its audit entry; linking one of her accounts again still answers the
// link; links to another provider do not count; with the limit disabled
// the third link is made.
func TestIdentityProviderLinkLimit(t *testing.T) {
	s := newStack(t)
	s.withProvider(linkIdP, "Upstream", true)
	const other = "9b8c7d6e-0000-4000-8000-0000000000e2"
	s.withProvider(other, "Other", true)
	s.setLinkLimit(linkIdP, limitConfig(true, 2))
	s.apiOK("POST", "/api/identity-provider/link", link(other, "elsewhere", aliceID))
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "up-1", aliceID))
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "up-2", aliceID))
	audits := s.auditCount("Linked the user")
	res := s.api("POST", "/api/identity-provider/link", link(linkIdP, "up-3", aliceID))
	if res.status != 400 || !strings.Contains(string(res.body), `"[tooMany]identityProviderLink.userId"`) {
		t.Fatalf("the third link: %d %s", res.status, res.body)
	}
	want := []string{linkIdP + "/up-1", linkIdP + "/up-2", other + "/elsewhere"}
	slices.Sort(want)
	if got := s.storedLinks(aliceID); !slices.Equal(got, want) || s.auditCount("Linked the user") != audits {
		t.Fatalf("after the refused link: %v, %d audit entries (want %d)", got, s.auditCount("Linked the user"), audits)
	}
	if l := s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "up-1", aliceID))["identityProviderLink"].(map[string]any); l["identityProviderUserId"] != "up-1" {
		t.Fatalf("an existing link again: %v", l)
	}
	s.setLinkLimit(linkIdP, limitConfig(false, 2))
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "up-3", aliceID))
	if got := s.storedLinks(aliceID); len(got) != 4 {
		t.Fatalf("with the limit disabled: %v", got)
	}
}

// TestIdentityProviderPendingLinkLimit (adversarial): the pending link's
// answer carries the provider's tenantConfiguration for its tenant
// (identityProviderTenantConfiguration) and alice's linkCount; completing
// it for alice, who has the one link the provider allows, is
// [tooMany]identityProviderLink.userId: nothing linked, and the pending
// link stays, so that once her other link is gone it links her.
func TestIdentityProviderPendingLinkLimit(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	down.setLinkLimit(idpID, limitConfig(true, 1))
	down.apiOK("POST", "/api/identity-provider/link", link(idpID, "alices-other-account", aliceID))
	id, _ := idpLogin(down, upstreamCode(t, up, "carol@example.test")).json(t)["pendingIdPLinkId"].(string)

	got := down.apiOK("GET", "/api/identity-provider/link/pending/"+id+"?userId="+aliceID, nil)
	policy, _ := got["identityProviderTenantConfiguration"].(map[string]any)["limitUserLinkCount"].(map[string]any)
	if policy["enabled"] != true || policy["maximumLinks"] != 1.0 || got["linkCount"] != 1.0 {
		t.Fatalf("the pending link: %v", got)
	}
	complete := map[string]any{"pendingIdPLinkId": id, "identityProviderLink": map[string]any{"userId": aliceID}}
	res := down.api("POST", "/api/identity-provider/link", complete)
	if res.status != 400 || !strings.Contains(string(res.body), `"[tooMany]identityProviderLink.userId"`) {
		t.Fatalf("completing at the limit: %d %s", res.status, res.body)
	}
	if got := down.storedLinks(aliceID); !slices.Equal(got, []string{idpID + "/alices-other-account"}) {
		t.Fatalf("alice's links after the refusal: %v", got)
	}
	down.apiOK("DELETE", linkQuery(idpID, "alices-other-account", aliceID), nil)
	down.apiOK("POST", "/api/identity-provider/link", complete)
	if got := down.storedLinks(aliceID); !slices.Equal(got, []string{idpID + "/9b8c7d6e-0000-4000-8000-000000000100"}) {
		t.Fatalf("alice's links after the completion: %v", got)
	}
}

// TestFederatedLoginLinkLimit (adversarial): under LinkByEmail, a login
// whose upstream account would be linked to alice, who has the links the
// provider allows, is 400 IdentityProviderLinkLimitExceeded: no link, no
// user, no token or cookie. Within the limit the same login links her.
func TestFederatedLoginLinkLimit(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	down.setLinkLimit(idpID, limitConfig(true, 1))
	down.apiOK("POST", "/api/identity-provider/link", link(idpID, "alices-other-account", aliceID))
	users := down.userCount()
	r := idpLogin(down, upstreamCode(t, up, aliceEmail))
	if r.status != 400 || !strings.Contains(string(r.body), "IdentityProviderLinkLimitExceeded") || cookieValue(r, "refresh_token") != "" {
		t.Fatalf("a login past the limit: %d %s", r.status, r.body)
	}
	if got := down.storedLinks(aliceID); len(got) != 1 || down.userCount() != users {
		t.Fatalf("after the refused login: links %v, %d new users", got, down.userCount()-users)
	}
	down.setLinkLimit(idpID, limitConfig(true, 2))
	if r := idpLogin(down, upstreamCode(t, up, aliceEmail)); r.status != 200 || len(down.storedLinks(aliceID)) != 2 {
		t.Fatalf("a login within the limit: %d %s", r.status, r.body)
	}
}

// TestHostedPendingLinkAtTheLimit (adversarial): on the hosted page, alice
// completing a pending link while she has the links the provider allows
// is told so on the login form: no link, no code, and no session (the
// next authorization in the browser asks her to sign in again).
func TestHostedPendingLinkAtTheLimit(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	down.setLinkLimit(idpID, limitConfig(true, 1))
	down.apiOK("POST", "/api/identity-provider/link", link(idpID, "alices-other-account", aliceID))
	_, challenge := pkce("pending-")
	b := newBrowser(down)
	page := b.get(upstreamCallback(t, b, down, up, "carol@example.test", challenge))
	res := b.submitLogin(page, aliceEmail, alicePass)
	if res.status != http.StatusOK || res.header.Get("Location") != "" || !strings.Contains(string(res.body), "the most links to that identity provider") {
		t.Fatalf("the sign-in at the limit: %d %s %s", res.status, res.header.Get("Location"), res.body)
	}
	if got := down.storedLinks(aliceID); !slices.Equal(got, []string{idpID + "/alices-other-account"}) {
		t.Fatalf("alice's links after the refusal: %v", got)
	}
	_, challenge2 := pkce("again-")
	if again := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge2).Encode()); again.status != http.StatusOK || again.header.Get("Location") != "" {
		t.Fatalf("the next authorization after the refusal: %d %s", again.status, again.header.Get("Location"))
	}
}

// TestHostedSignInWithProviderAtTheLinkLimit (adversarial): "Sign in with
// Upstream" on the hosted page whose account would be linked to alice, who
// has the links the provider allows, sends the browser back with
// access_denied: no code, no link, and no session (the next authorization
// in the browser asks her to sign in).
func TestHostedSignInWithProviderAtTheLinkLimit(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	down.setLinkLimit(idpID, limitConfig(true, 1))
	down.apiOK("POST", "/api/identity-provider/link", link(idpID, "alices-other-account", aliceID))
	_, challenge := pkce("limit-")
	b := newBrowser(down)
	q := redirectQuery(t, b.get(upstreamCallback(t, b, down, up, aliceEmail, challenge)), forumsCallback)
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("the sign-in past the limit: %v", q)
	}
	if got := down.storedLinks(aliceID); !slices.Equal(got, []string{idpID + "/alices-other-account"}) {
		t.Fatalf("alice's links after the refusal: %v", got)
	}
	_, challenge2 := pkce("again-")
	if again := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge2).Encode()); again.status != http.StatusOK || again.header.Get("Location") != "" {
		t.Fatalf("the next authorization after the refusal: %d %s", again.status, again.header.Get("Location"))
	}
}
