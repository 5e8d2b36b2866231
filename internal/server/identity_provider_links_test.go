package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The Link API tests (links.mdx) link the stack's users to accounts at
// providers that need not answer: only a login reaches the upstream, and
// the login test runs a second latchkey as it (federation_test.go).
const (
	linkIdP        = "9b8c7d6e-0000-4000-8000-0000000000e1"
	linkIdPSecret  = "link-idp-client-secret-0123456789"
	upstreamUserID = "upstream-user-42"
)

// withProvider stores an OpenIDConnect provider named name through the API.
func (s *stack) withProvider(id, name string, enabled bool, apps ...string) {
	s.t.Helper()
	conf := map[string]any{}
	for _, a := range apps {
		conf[a] = map[string]any{"enabled": true}
	}
	s.apiOK("POST", "/api/identity-provider/"+id, map[string]any{"identityProvider": map[string]any{
		"type": "OpenIDConnect", "name": name, "buttonText": "Sign in with " + name, "enabled": enabled,
		"oauth2":                   map[string]any{"client_id": "latchkey", "client_secret": linkIdPSecret, "issuer": "https://" + strings.ToLower(strings.ReplaceAll(name, " ", "-")) + ".example.test"},
		"applicationConfiguration": conf}})
}

// link is a POST /api/identity-provider/link body.
func link(idp, upstreamID, userID string) map[string]any {
	return map[string]any{"identityProviderLink": map[string]any{"identityProviderId": idp, "identityProviderUserId": upstreamID, "userId": userID}}
}

// linkQuery is the query of GET and DELETE /api/identity-provider/link.
func linkQuery(idp, upstreamID, userID string) string {
	return fmt.Sprintf("/api/identity-provider/link?identityProviderId=%s&identityProviderUserId=%s&userId=%s", idp, upstreamID, userID)
}

// storedLinks are a user's links in the store, as provider/upstream id.
func (s *stack) storedLinks(userID string) []string {
	s.t.Helper()
	ls, err := s.Store.ListIdentityProviderLinks(context.Background(), userID, "")
	must(s.t, err)
	out := []string{}
	for _, l := range ls {
		out = append(out, l.IdentityProviderID+"/"+l.IdentityProviderUserID)
	}
	return out
}

// auditCount counts the audit entries whose message contains message.
func (s *stack) auditCount(message string) int {
	s.t.Helper()
	_, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: message, Limit: 10})
	must(s.t, err)
	return n
}

// TestIdentityProviderLinkDecidesTheLogin: a link made through the Link API
// is the one a login through the provider follows: with the provider's
// linkingStrategy Disabled, the upstream account that logged in as nobody
// logs in as the user it was linked to (alice, whose email is not the
// upstream's); the link reads back by all three ids, by provider and user,
// and by user; once unlinked, the login finds no link and follows the
// strategy again: 404 under Disabled, a new user under LinkByEmail.
func TestIdentityProviderLinkDecidesTheLogin(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "Disabled")
	carolSub := "9b8c7d6e-0000-4000-8000-000000000100" // her id at the upstream: the sub of its id token
	if r := idpLogin(down, upstreamCode(t, up, "carol@example.test")); r.status != 404 {
		t.Fatalf("login before the link: %d %s", r.status, r.body)
	}
	body := link(idpID, carolSub, aliceID)
	body["identityProviderLink"].(map[string]any)["displayName"] = "carol@example.test"
	m := down.apiOK("POST", "/api/identity-provider/link", body)
	l := m["identityProviderLink"].(map[string]any)
	if l["userId"] != aliceID || l["identityProviderUserId"] != carolSub || l["identityProviderName"] != "Upstream" ||
		l["identityProviderType"] != "OpenIDConnect" || l["tenantId"] != tenantID || l["displayName"] != "carol@example.test" {
		t.Fatalf("link answer %v", m)
	}
	r := idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	if r.status != 200 || r.json(t)["user"].(map[string]any)["id"] != aliceID {
		t.Fatalf("login through the link: %d %s", r.status, r.body)
	}
	if got := down.apiOK("GET", linkQuery(idpID, carolSub, aliceID), nil)["identityProviderLink"].(map[string]any); got["identityProviderUserId"] != carolSub {
		t.Fatalf("retrieve by all three: %v", got)
	}
	if got := down.apiOK("GET", linkQuery(idpID, carolSub, ""), nil)["identityProviderLink"].(map[string]any); got["userId"] != aliceID {
		t.Fatalf("retrieve by the upstream account: %v", got)
	}
	for _, q := range []string{"?identityProviderId=" + idpID + "&userId=" + aliceID, "?userId=" + aliceID} {
		ls := down.apiOK("GET", "/api/identity-provider/link"+q, nil)["identityProviderLinks"].([]any)
		if len(ls) != 1 || ls[0].(map[string]any)["identityProviderUserId"] != carolSub {
			t.Fatalf("retrieve %s: %v", q, ls)
		}
	}
	down.apiOK("DELETE", linkQuery(idpID, carolSub, aliceID), nil)
	if res := down.api("GET", linkQuery(idpID, carolSub, ""), nil); res.status != 404 {
		t.Fatalf("the deleted link: %d %s", res.status, res.body)
	}
	if r := idpLogin(down, upstreamCode(t, up, "carol@example.test")); r.status != 404 {
		t.Fatalf("login after the unlink, Disabled: %d %s", r.status, r.body)
	}
	down.apiOK("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"linkingStrategy": "LinkByEmail"}})
	r = idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	if u := r.json(t)["user"].(map[string]any); r.status != 200 || u["id"] == aliceID || u["email"] != "carol@example.test" {
		t.Fatalf("login after the unlink, LinkByEmail: %d %s", r.status, r.body)
	}
}

// TestIdentityProviderLinksArePerTenant: a provider serves applications of
// several tenants, and each tenant links an upstream account to a user of
// its own. An upstream account linked to another tenant's user logs in
// through this tenant's application as the linking strategy says here
// (LinkByEmail: a new user of this tenant, linked in this tenant), never
// as the other tenant's user: no token, registration or login for them,
// and their tenant's link unchanged.
func TestIdentityProviderLinksArePerTenant(t *testing.T) {
	down := newOAuthStack(t)
	down.withOtherTenant()
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "LinkByEmail")
	carolSub := "9b8c7d6e-0000-4000-8000-000000000100"
	down.apiOK("POST", "/api/identity-provider/link", link(idpID, carolSub, otherUserID))
	r := idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	if r.status != 200 {
		t.Fatalf("login of an account linked in another tenant: %d %s", r.status, r.body)
	}
	u := r.json(t)["user"].(map[string]any)
	if u["id"] == otherUserID || u["tenantId"] != tenantID || u["email"] != "carol@example.test" {
		t.Fatalf("the login's user: %v", u)
	}
	other := down.apiOK("GET", "/api/user/"+otherUserID, nil)["user"].(map[string]any)
	if other["lastLoginInstant"] != nil || other["registrations"] != nil {
		t.Fatalf("the other tenant's user after the login: %v", other)
	}
	if got := down.storedLinks(otherUserID); len(got) != 1 || got[0] != idpID+"/"+carolSub {
		t.Fatalf("the other tenant's link after the login: %v", got)
	}
	if got := down.storedLinks(u["id"].(string)); len(got) != 1 || got[0] != idpID+"/"+carolSub {
		t.Fatalf("this tenant's link made by the login: %v", got)
	}
}

// TestIdentityProviderLinkAPI pins the Link API's answers: the link as
// created, the provider's name and type with it, never a token (latchkey
// keeps none, whatever the request sent); linking the same upstream account
// to the same user again answers the link as it is; the deprecated
// top-level request form links too.
func TestIdentityProviderLinkAPI(t *testing.T) {
	s := newStack(t)
	s.withProvider(linkIdP, "Upstream", true, forumsApp)
	body := link(linkIdP, upstreamUserID, aliceID)
	body["identityProviderLink"].(map[string]any)["displayName"] = "alice at upstream"
	body["identityProviderLink"].(map[string]any)["token"] = "upstream-refresh-token-secret"
	res := s.api("POST", "/api/identity-provider/link", body)
	managementGolden(t, "idp-link-create", res.status, res.body)
	again := s.api("POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, aliceID))
	if again.status != 200 || string(again.body) != string(res.body) {
		t.Fatalf("the same link again: %d %s, want %s", again.status, again.body, res.body)
	}
	s.apiOK("POST", "/api/identity-provider/link", map[string]any{"identityProviderId": linkIdP, "identityProviderUserId": "upstream-user-7", "userId": aliceID})
	res = s.api("GET", "/api/identity-provider/link?userId="+aliceID, nil)
	managementGolden(t, "idp-link-list", res.status, res.body)
	res = s.api("GET", linkQuery(linkIdP, upstreamUserID, aliceID), nil)
	managementGolden(t, "idp-link-retrieve", res.status, res.body)
	if strings.Contains(string(res.body), "upstream-refresh-token-secret") || strings.Contains(string(res.body), `"token"`) {
		t.Fatalf("a link answered a token: %s", res.body)
	}
	if got := s.storedLinks(aliceID); len(got) != 2 {
		t.Fatalf("alice's links: %v", got)
	}
}

// TestIdentityProviderLinkRefusals: linking an upstream account already
// linked to another user is 400 [duplicate] and changes nothing (the link
// stays alice's, no audit entry); a link to an unknown provider or user,
// without its ids, with ids that are not UUIDs, or with a pending link id
// is 400 in FusionAuth's shape and stores nothing; a retrieve without ids
// is 400, of an unknown user 404, naming another user than the link's 404;
// an unlink naming another user, or missing a parameter, removes nothing.
func TestIdentityProviderLinkRefusals(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	s.withProvider(linkIdP, "Upstream", true)
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, aliceID))
	unknown := "0f1a2b3c-0000-4000-8000-00000000dead"
	s.wantRefusals([]refusal{
		{"linked to alice, to the moderator", "POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, moderatorID), 400,
			[]string{"[duplicate]identityProviderLink.identityProviderUserId"}},
		{"unknown provider", "POST", "/api/identity-provider/link", link(unknown, "x", moderatorID), 400, []string{"[invalid]identityProviderLink.identityProviderId"}},
		{"unknown user", "POST", "/api/identity-provider/link", link(linkIdP, "x", unknown), 400, []string{"[invalid]identityProviderLink.userId"}},
		{"ids not UUIDs", "POST", "/api/identity-provider/link", link("upstream", "x", "alice"), 400,
			[]string{"[invalid]identityProviderLink.identityProviderId", "[invalid]identityProviderLink.userId"}},
		{"nothing", "POST", "/api/identity-provider/link", map[string]any{"identityProviderLink": map[string]any{}}, 400,
			[]string{"[blank]identityProviderLink.identityProviderId", "[blank]identityProviderLink.identityProviderUserId", "[blank]identityProviderLink.userId"}},
		{"blank upstream id", "POST", "/api/identity-provider/link", link(linkIdP, "  ", moderatorID), 400, []string{"[blank]identityProviderLink.identityProviderUserId"}},
		{"upstream id too long", "POST", "/api/identity-provider/link", link(linkIdP, strings.Repeat("x", manage.MaxLinkValueLength+1), moderatorID), 400,
			[]string{"[tooLong]identityProviderLink.identityProviderUserId"}},
		{"NUL in the upstream id", "POST", "/api/identity-provider/link", link(linkIdP, "a\x00b", moderatorID), 400,
			[]string{"[invalid]identityProviderLink.identityProviderUserId"}},
		{"NUL in the display name", "POST", "/api/identity-provider/link", map[string]any{"identityProviderLink": map[string]any{
			"identityProviderId": linkIdP, "identityProviderUserId": "y", "userId": moderatorID, "displayName": "a\x00b"}}, 400,
			[]string{"[invalid]identityProviderLink.displayName"}},
		{"retrieve, NUL in the upstream id", "GET", linkQuery(linkIdP, "a%00b", ""), nil, 404, nil},
		{"pending link", "POST", "/api/identity-provider/link", map[string]any{"pendingIdPLinkId": "abc", "identityProviderLink": map[string]any{"userId": moderatorID}}, 400,
			[]string{"[invalid]pendingIdPLinkId"}},
		{"not JSON", "POST", "/api/identity-provider/link", "{", 400, []string{"[invalid]"}},
		{"ids not strings", "POST", "/api/identity-provider/link", `{"identityProviderLink":{"userId":7}}`, 400, []string{"identityProviderLink.userId"}},
		{"retrieve, no ids", "GET", "/api/identity-provider/link", nil, 400, []string{"[blank]userId"}},
		{"retrieve, user not a UUID", "GET", "/api/identity-provider/link?userId=alice", nil, 400, []string{"[couldNotConvert]userId"}},
		{"retrieve, unknown user", "GET", "/api/identity-provider/link?userId=" + unknown, nil, 404, nil},
		{"retrieve, unknown provider", "GET", linkQuery(unknown, upstreamUserID, ""), nil, 404, nil},
		{"retrieve, another user's link", "GET", linkQuery(linkIdP, upstreamUserID, moderatorID), nil, 404, nil},
		{"unlink, another user's link", "DELETE", linkQuery(linkIdP, upstreamUserID, moderatorID), nil, 404, nil},
		{"unlink, unknown upstream account", "DELETE", linkQuery(linkIdP, "nobody", aliceID), nil, 404, nil},
		{"unlink, no upstream id", "DELETE", "/api/identity-provider/link?identityProviderId=" + linkIdP + "&userId=" + aliceID, nil, 400,
			[]string{"[blank]identityProviderUserId"}},
		{"unlink, user not a UUID", "DELETE", linkQuery(linkIdP, upstreamUserID, "alice"), nil, 400, []string{"[couldNotConvert]userId"}},
	})
	if got := s.storedLinks(aliceID); len(got) != 1 || got[0] != linkIdP+"/"+upstreamUserID {
		t.Fatalf("alice's links after the refusals: %v", got)
	}
	if got := s.storedLinks(moderatorID); len(got) != 0 {
		t.Fatalf("the moderator was linked: %v", got)
	}
	if n := s.auditCount("Linked the user"); n != 1 {
		t.Fatalf("%d link audit entries, want alice's only", n)
	}
	if n := s.auditCount("Unlinked the user"); n != 0 {
		t.Fatalf("%d unlink audit entries after refused unlinks", n)
	}
}

// TestIdentityProviderLinksNeedTheirPermission: without a key, with a key
// holding only /api/identity-provider (or /api/user), or with one whose
// /api/identity-provider/link permission lacks the method, the link
// endpoints are 401 and nothing changes; the search has its own
// permission, /api/identity-provider/search.
func TestIdentityProviderLinksNeedTheirPermission(t *testing.T) {
	s := newStack(t)
	s.withProvider(linkIdP, "Upstream", true)
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, aliceID))
	ctx := context.Background()
	const (
		idpKey   = "idp-only-key-0123456789abcdef0123456789abcdef"
		userKey  = "user-only-key-0123456789abcdef0123456789abcdef"
		readKey  = "link-read-key-0123456789abcdef0123456789abcdef"
		writeKey = "link-write-key-0123456789abcdef0123456789abcdef"
	)
	all := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	for key, endpoints := range map[string]map[string][]string{
		idpKey:   {"/api/identity-provider": all},
		userKey:  {"/api/user": all},
		readKey:  {"/api/identity-provider/link": {"GET"}},
		writeKey: {"/api/identity-provider/link": {"POST"}, "/api/identity-provider/search": {"GET"}},
	} {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(key),
			Endpoints: endpoints, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	newLink := link(linkIdP, "upstream-user-new", aliceID)
	search := map[string]any{"search": map[string]any{}}
	for _, c := range []struct {
		key, method, path string
		body              any
		status            int
	}{
		{"", "POST", "/api/identity-provider/link", newLink, 401},
		{"", "GET", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{"", "DELETE", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{"", "POST", "/api/identity-provider/search", search, 401},
		{idpKey, "POST", "/api/identity-provider/link", newLink, 401},
		{idpKey, "GET", "/api/identity-provider/link?userId=" + aliceID, nil, 401},
		{idpKey, "DELETE", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{idpKey, "POST", "/api/identity-provider/search", search, 401},
		{userKey, "POST", "/api/identity-provider/link", newLink, 401},
		{userKey, "DELETE", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{readKey, "POST", "/api/identity-provider/link", newLink, 401},
		{readKey, "DELETE", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{readKey, "GET", "/api/identity-provider/link?userId=" + aliceID, nil, 200},
		{writeKey, "DELETE", linkQuery(linkIdP, upstreamUserID, aliceID), nil, 401},
		{writeKey, "POST", "/api/identity-provider/search", search, 401},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status {
			t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, c.key, res.status, res.body, c.status)
		}
	}
	if got := s.storedLinks(aliceID); len(got) != 1 || got[0] != linkIdP+"/"+upstreamUserID {
		t.Fatalf("alice's links after the refused keys: %v", got)
	}
	s.apiOK("POST", "/api/identity-provider/link", newLink, "Authorization", writeKey)
	if got := s.storedLinks(aliceID); len(got) != 2 {
		t.Fatalf("the key holding POST /api/identity-provider/link: %v", got)
	}
}

// TestIdentityProviderLinksTenantScope: a key scoped to a tenant can
// neither link another tenant's user, nor read that user's links by user
// or by upstream account, nor unlink them; the other tenant's link stays.
// It links and reads its own tenant's users. The provider search lists
// what every tenant shares: 403 for a scoped key, as the other
// identity-provider APIs answer it.
func TestIdentityProviderLinksTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.withProvider(linkIdP, "Upstream", true)
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "other-upstream", otherUserID))
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"link", "POST", "/api/identity-provider/link", link(linkIdP, "x", otherUserID), 400, "[invalid]identityProviderLink.userId"},
		{"list", "GET", "/api/identity-provider/link?userId=" + otherUserID, nil, 404, ""},
		{"retrieve", "GET", linkQuery(linkIdP, "other-upstream", ""), nil, 404, ""},
		{"retrieve by all three", "GET", linkQuery(linkIdP, "other-upstream", otherUserID), nil, 404, ""},
		{"unlink", "DELETE", linkQuery(linkIdP, "other-upstream", otherUserID), nil, 404, ""},
		{"search", "POST", "/api/identity-provider/search", map[string]any{"search": map[string]any{}}, 403, "[TenantScopedKey]"},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", scopedKey)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	if got := s.storedLinks(otherUserID); len(got) != 1 || got[0] != linkIdP+"/other-upstream" {
		t.Fatalf("the other tenant's links after the scoped key's attempts: %v", got)
	}
	// Links are per tenant: the scoped key links the same upstream account
	// to a user of its own tenant, and the other tenant's link stays.
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "other-upstream", aliceID), "Authorization", scopedKey)
	if got := s.apiOK("GET", linkQuery(linkIdP, "other-upstream", ""), nil, "Authorization", scopedKey)["identityProviderLink"].(map[string]any); got["userId"] != aliceID {
		t.Fatalf("the scoped key's link of other-upstream: %v", got)
	}
	if got := s.storedLinks(otherUserID); len(got) != 1 || got[0] != linkIdP+"/other-upstream" {
		t.Fatalf("the other tenant's links after the scoped key linked the same account: %v", got)
	}
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "alice-upstream", aliceID), "Authorization", scopedKey)
	if ls := s.apiOK("GET", "/api/identity-provider/link?userId="+aliceID, nil, "Authorization", scopedKey)["identityProviderLinks"].([]any); len(ls) != 2 {
		t.Fatalf("the scoped key's own user's links: %v", ls)
	}
}

// TestIdentityProviderLinksGoWithTheirUser: a hard delete of a user deletes
// their links, and the upstream account can be linked anew.
func TestIdentityProviderLinksGoWithTheirUser(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	s.withProvider(linkIdP, "Upstream", true)
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, aliceID))
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, "moderator-upstream", moderatorID))
	s.apiOK("DELETE", "/api/user/"+aliceID+"?hardDelete=true", nil)
	if res := s.api("GET", linkQuery(linkIdP, upstreamUserID, ""), nil); res.status != 404 {
		t.Fatalf("the deleted user's link: %d %s", res.status, res.body)
	}
	if got := s.storedLinks(moderatorID); len(got) != 1 {
		t.Fatalf("the moderator's links: %v", got)
	}
	s.apiOK("POST", "/api/identity-provider/link", link(linkIdP, upstreamUserID, moderatorID))
}

// TestIdentityProviderSearch: the search matches the name as a
// case-insensitive pattern, the type and the application a provider is
// enabled for, orders by name unless orderBy says otherwise, pages with a
// total, and never answers a provider's client secret; bad orderBy,
// paging and ids are 400.
func TestIdentityProviderSearch(t *testing.T) {
	s := newStack(t)
	s.withProvider("9b8c7d6e-0000-4000-8000-0000000000e3", "Corporate SSO", false)
	s.Clock.Advance(time.Second)
	s.withProvider("9b8c7d6e-0000-4000-8000-0000000000e2", "Upstream", true, forumsApp)
	s.Clock.Advance(time.Second)
	s.withProvider(linkIdP, "Another upstream", true, storeApp)
	names := func(v any) []string {
		out := []string{}
		for _, p := range v.([]any) {
			out = append(out, p.(map[string]any)["name"].(string))
		}
		return out
	}
	for _, c := range []struct {
		name   string
		search map[string]any
		want   []string
		total  float64
	}{
		{"all, by name", map[string]any{}, []string{"Another upstream", "Corporate SSO", "Upstream"}, 3},
		{"name, any case", map[string]any{"name": "UPSTREAM"}, []string{"Another upstream", "Upstream"}, 2},
		{"name pattern", map[string]any{"name": "up*"}, []string{"Upstream"}, 1},
		{"type", map[string]any{"type": "OpenIDConnect", "orderBy": "name DESC"}, []string{"Upstream", "Corporate SSO", "Another upstream"}, 3},
		{"another type", map[string]any{"type": "SAMLv2"}, []string{}, 0},
		{"application", map[string]any{"applicationId": forumsApp}, []string{"Upstream"}, 1},
		{"enabled last", map[string]any{"orderBy": "enabled DESC", "numberOfResults": 1}, []string{"Another upstream"}, 3},
		{"by insertInstant, second page", map[string]any{"orderBy": "insertInstant", "startRow": 1, "numberOfResults": 1}, []string{"Upstream"}, 3},
		{"tenant", map[string]any{"tenantId": tenantID, "name": "sso"}, []string{"Corporate SSO"}, 1},
	} {
		res := s.api("POST", "/api/identity-provider/search", map[string]any{"search": c.search})
		if res.status != 200 {
			t.Fatalf("%s: %d %s", c.name, res.status, res.body)
		}
		if strings.Contains(string(res.body), linkIdPSecret) || strings.Contains(string(res.body), `"client_secret"`) {
			t.Fatalf("%s: the search answered a client secret: %s", c.name, res.body)
		}
		m := res.json(t)
		if got := names(m["identityProviders"]); !equal(got, c.want) || m["total"] != c.total {
			t.Errorf("%s: %q total %v, want %q total %v", c.name, got, m["total"], c.want, c.total)
		}
	}
	res := s.api("POST", "/api/identity-provider/search", map[string]any{"search": map[string]any{"name": "Upstream", "type": "OpenIDConnect"}})
	managementGolden(t, "idp-search", res.status, res.body)
	for _, c := range []struct {
		search map[string]any
		code   string
	}{
		{map[string]any{"orderBy": "client_secret"}, "[invalid]search.orderBy"},
		{map[string]any{"startRow": -1}, "[invalid]search.startRow"},
		{map[string]any{"applicationId": "forums"}, "[couldNotConvert]search.applicationId"},
		{map[string]any{"tenantId": "default"}, "[couldNotConvert]search.tenantId"},
	} {
		res := s.api("POST", "/api/identity-provider/search", map[string]any{"search": c.search})
		if res.status != 400 || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%v: %d %s, want 400 %s", c.search, res.status, res.body, c.code)
		}
	}
	// The secret is still the provider's: a retrieve answers it.
	if p := s.apiOK("GET", "/api/identity-provider/"+linkIdP, nil)["identityProvider"].(map[string]any); p["oauth2"].(map[string]any)["client_secret"] != linkIdPSecret {
		t.Fatalf("the provider lost its secret: %v", p)
	}
}
