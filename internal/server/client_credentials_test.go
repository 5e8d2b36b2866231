package server_test

import (
	"context"

	"golang.org/x/oauth2/clientcredentials"
	"net/url"
	"strings"
	"testing"
)

// machineWorld creates, through the API as an operator would, an entity
// type with read and write, an API entity and a client entity, and grants
// the client read on the API. It returns their ids and the client's secret.
func machineWorld(t *testing.T, s *stack) (api, client, clientSecret string) {
	t.Helper()
	key := map[string]string{"Authorization": apiKey}
	res := s.do(call{method: "POST", path: "/api/entity/type", hdr: key, body: `{"entityType":{"name":"Service",
		"permissions":[{"name":"read"},{"name":"write"}]}}`})
	if res.status != 200 {
		t.Fatalf("create type: %d %s", res.status, res.body)
	}
	typeID := res.json(t)["entityType"].(map[string]any)["id"].(string)
	mk := func(name string) map[string]any {
		r := s.do(call{method: "POST", path: "/api/entity", hdr: key, body: `{"entity":{"name":"` + name + `","type":{"id":"` + typeID + `"}}}`})
		if r.status != 200 {
			t.Fatalf("create entity: %d %s", r.status, r.body)
		}
		return r.json(t)["entity"].(map[string]any)
	}
	a, c := mk("Inventory API"), mk("Billing job")
	if c["clientId"] != c["id"] || len(c["clientSecret"].(string)) < 32 || c["type"].(map[string]any)["name"] != "Service" {
		t.Fatalf("entity %v: clientId defaults to the id, a secret is generated, the type is named", c)
	}
	g := s.do(call{method: "POST", path: "/api/entity/" + a["id"].(string) + "/grant", hdr: key,
		body: `{"grant":{"recipientEntityId":"` + c["id"].(string) + `","permissions":["read"]}}`})
	if g.status != 200 || len(g.body) != 0 {
		t.Fatalf("grant: %d %s (FusionAuth answers 200 without a body)", g.status, g.body)
	}
	return a["id"].(string), c["id"].(string), c["clientSecret"].(string)
}

// TestClientCredentialsGrant: an entity gets a token for the target its
// scope names with the permissions its grant gives (all of them when none
// are listed); FusionAuth's errors for the rest; introspection without
// client authentication (the TS client's introspectClientCredentialsAccessToken).
func TestClientCredentialsGrant(t *testing.T) {
	s := newOAuthStack(t)
	api, client, secret := machineWorld(t, s)
	cc := func(id, sec, scope string) result {
		return s.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {sec}, "scope": {scope}})
	}
	res := cc(client, secret, "target-entity:"+api+":read")
	if res.status != 200 {
		t.Fatalf("client_credentials: %d %s", res.status, res.body)
	}
	body := res.json(t)
	if body["token_type"] != "Bearer" || body["scope"] != "target-entity:"+api+":read" || body["refresh_token"] != nil || body["id_token"] != nil {
		t.Fatalf("response %v", body)
	}
	claims := introspectNoClient(t, s, body["access_token"].(string))
	if claims["active"] != true || claims["sub"] != client || claims["aud"] != api {
		t.Fatalf("claims %v", claims)
	}
	if p := claims["permissions"].(map[string]any)[api].([]any); len(p) != 1 || p[0] != "read" {
		t.Fatalf("permissions %v", claims["permissions"])
	}
	if gty := claims["gty"].([]any); gty[0] != "client_credentials" {
		t.Fatalf("gty %v", gty)
	}
	// No permission listed: what the grant gives.
	if all := introspectNoClient(t, s, cc(client, secret, "target-entity:"+api).json(t)["access_token"].(string)); all["permissions"] == nil {
		t.Fatalf("no permissions: %v", all)
	}
	// With HTTP Basic.
	basic := s.token(url.Values{"grant_type": {"client_credentials"}}, "Authorization", basicAuth(client, secret))
	if basic.status != 200 {
		t.Fatalf("basic: %d %s", basic.status, basic.body)
	}
	for name, tc := range map[string]struct {
		res          result
		status       int
		code, reason string
	}{
		"wrong secret":         {cc(client, "nope", ""), 401, "invalid_client", "invalid_client_authentication"},
		"unknown client":       {cc("nobody", "x", ""), 401, "invalid_client", "invalid_client_id"},
		"no secret":            {cc(client, "", ""), 400, "invalid_request", "missing_client_secret"},
		"permission not given": {cc(client, secret, "target-entity:"+api+":write"), 400, "invalid_scope", "invalid_entity_permission_scope"},
		"no grant":             {cc(api, "x", "target-entity:"+client), 401, "invalid_client", "invalid_client_authentication"},
		"not a target":         {cc(client, secret, "target-entity:"+client), 400, "invalid_scope", "invalid_target_entity_scope"},
		"not a uuid":           {cc(client, secret, "target-entity:inventory"), 400, "invalid_scope", "invalid_target_entity_scope"},
	} {
		t.Run(name, func(t *testing.T) { wantOAuthError(t, tc.res, tc.status, tc.code, tc.reason) })
	}
	// A machine token is no user's: userinfo refuses it.
	ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + body["access_token"].(string)}})
	if ui.status != 401 {
		t.Errorf("userinfo with a machine token: %d", ui.status)
	}
	// Revoking the grant: the next request is refused.
	s.do(call{method: "DELETE", path: "/api/entity/" + api + "/grant?recipientEntityId=" + client, hdr: map[string]string{"Authorization": apiKey}})
	wantOAuthError(t, cc(client, secret, "target-entity:"+api), 400, "invalid_scope", "invalid_target_entity_scope")
}

func introspectNoClient(t *testing.T, s *stack, tok string) map[string]any {
	t.Helper()
	res := s.do(call{method: "POST", path: "/oauth2/introspect", body: url.Values{"token": {tok}}.Encode(),
		hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if res.status != 200 {
		t.Fatalf("introspect: %d %s", res.status, res.body)
	}
	return res.json(t)
}

// TestEntityAPI: the entity type, permission, entity and grant endpoints'
// answers and refusals.
func TestEntityAPI(t *testing.T) {
	s := newOAuthStack(t)
	api, client, _ := machineWorld(t, s)
	key := map[string]string{"Authorization": apiKey}
	g := s.do(call{method: "GET", path: "/api/entity/" + api + "/grant?recipientEntityId=" + client, hdr: key})
	if gr := g.json(t)["grant"].(map[string]any); g.status != 200 || gr["recipientEntityId"] != client {
		t.Fatalf("grant: %d %s", g.status, g.body)
	}
	bad := s.do(call{method: "POST", path: "/api/entity/" + api + "/grant", hdr: key,
		body: `{"grant":{"recipientEntityId":"` + client + `","permissions":["delete"]}}`})
	if bad.status != 400 || !strings.Contains(string(bad.body), "[invalid]grant.permissions") {
		t.Fatalf("unknown permission: %d %s", bad.status, bad.body)
	}
	dup := s.do(call{method: "POST", path: "/api/entity/type", hdr: key, body: `{"entityType":{"name":"Service"}}`})
	if dup.status != 400 || !strings.Contains(string(dup.body), "[duplicate]entityType.name") {
		t.Fatalf("duplicate type: %d %s", dup.status, dup.body)
	}
	if r := s.do(call{method: "GET", path: "/api/entity/search?ids=" + api, hdr: key}); r.json(t)["total"] != float64(1) {
		t.Fatalf("search by ids: %s", r.body)
	}
	if r := s.do(call{method: "GET", path: "/api/entity/" + api}); r.status != 401 {
		t.Fatalf("without an API key: %d", r.status)
	}
	if r := s.do(call{method: "DELETE", path: "/api/entity/" + client, hdr: key}); r.status != 200 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := s.do(call{method: "GET", path: "/api/entity/" + client, hdr: key}); r.status != 404 {
		t.Fatalf("after delete: %d", r.status)
	}
}

// TestIssueAndVendJWT: /api/jwt/issue trades a token of one application for
// one of another (not for an unregistered user, never outliving the
// source); /api/jwt/vend signs an API caller's claims.
func TestIssueAndVendJWT(t *testing.T) {
	s := newOAuthStack(t)
	login := s.login(storeApp, nil).json(t)
	src := login["token"].(string)
	res := s.do(call{method: "GET", path: "/api/jwt/issue?applicationId=" + forumsApp, hdr: map[string]string{"Authorization": "Bearer " + src}})
	if res.status != 200 {
		t.Fatalf("issue: %d %s", res.status, res.body)
	}
	c := jwtClaims(t, res.json(t)["token"].(string))
	sc := jwtClaims(t, src)
	if c["aud"] != forumsApp || c["applicationId"] != forumsApp || c["authenticationType"] != "JWT_SSO" || c["exp"].(float64) > sc["exp"].(float64) {
		t.Fatalf("issued claims %v (source exp %v)", c, sc["exp"])
	}
	must(t, s.Store.DeleteRegistration(t.Context(), aliceID, wikiApp))
	if r := s.do(call{method: "GET", path: "/api/jwt/issue?applicationId=" + wikiApp, hdr: map[string]string{"Authorization": "Bearer " + src}}); r.status != 202 || strings.Contains(string(r.body), "token") {
		t.Fatalf("unregistered: %d %s", r.status, r.body)
	}
	if r := s.do(call{method: "GET", path: "/api/jwt/issue?applicationId=" + forumsApp}); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	if r := s.do(call{method: "GET", path: "/api/jwt/issue", hdr: map[string]string{"Authorization": "Bearer " + src}}); r.status != 400 {
		t.Fatalf("no applicationId: %d", r.status)
	}

	v := s.do(call{method: "POST", path: "/api/jwt/vend", hdr: map[string]string{"Authorization": apiKey},
		body: `{"claims":{"role":"batch","exp":1,"amr":["pwd"]},"timeToLiveInSeconds":120}`})
	if v.status != 200 {
		t.Fatalf("vend: %d %s", v.status, v.body)
	}
	vc := jwtClaims(t, v.json(t)["token"].(string))
	if vc["role"] != "batch" || vc["exp"].(float64)-vc["iat"].(float64) != 120 || vc["amr"] != nil || vc["iss"] != nil || vc["jti"] == nil {
		t.Fatalf("vended claims %v", vc)
	}
	if r := s.do(call{method: "POST", path: "/api/jwt/vend", hdr: map[string]string{"Authorization": apiKey},
		body: `{"claims":{},"keyId":"nope"}`}); r.status != 400 || !strings.Contains(string(r.body), "[invalid]keyId") {
		t.Fatalf("unknown key: %d %s", r.status, r.body)
	}
	if r := s.do(call{method: "POST", path: "/api/jwt/vend", body: `{"claims":{}}`}); r.status != 401 {
		t.Fatalf("vend without a key: %d", r.status)
	}
}

// TestClientCredentialsWithXOAuth2: golang.org/x/oauth2/clientcredentials
// gets a machine token (HTTP Basic, its default).
func TestClientCredentialsWithXOAuth2(t *testing.T) {
	s := newOAuthStack(t)
	api, client, secret := machineWorld(t, s)
	cfg := clientcredentials.Config{ClientID: client, ClientSecret: secret, TokenURL: s.URL + "/oauth2/token",
		Scopes: []string{"target-entity:" + api + ":read"}}
	tok, err := cfg.Token(context.Background())
	must(t, err)
	if c := jwtClaims(t, tok.AccessToken); c["sub"] != client || c["aud"] != api {
		t.Fatalf("claims %v", c)
	}
}
