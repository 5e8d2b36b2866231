package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// passwordGrantScope asks /oauth2/token for alice's tokens through the Store
// client's password grant with scope.
func passwordGrantScope(s *stack, scope, password string) result {
	s.t.Helper()
	return s.token(url.Values{"grant_type": {"password"}, "client_id": {storeApp}, "client_secret": {secret},
		"username": {aliceEmail}, "password": {password}, "scope": {scope}})
}

// TestIDTokenIsNotAnAccessToken (adversarial): an ID token is signed by
// the same keys for the same audience as the access token beside it, but
// it is not one (OIDC Core §5.3.1; RFC 8725 §2.8): /oauth2/userinfo
// refuses it as a Bearer token and /oauth2/introspect answers it inactive,
// whichever grant issued it (password, refresh, code), while the access
// tokens of the same answers work. Before, userinfo answered an ID token
// with the user's claims, even after its session was revoked (an ID token
// of the password grant names no session).
func TestIDTokenIsNotAnAccessToken(t *testing.T) {
	s := newOAuthStack(t)
	first := passwordGrantScope(s, "openid offline_access", alicePass)
	tok := first.json(t)
	refreshed := s.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {storeApp}, "client_secret": {secret},
		"refresh_token": {tok["refresh_token"].(string)}}).json(t)
	verifier, challenge := pkce("token-kinds-")
	code := s.exchange(forumsApp, newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code"), forumsCallback, verifier).json(t)
	for name, answer := range map[string]map[string]any{"password": tok, "refresh": refreshed, "code": code} {
		idt, _ := answer["id_token"].(string)
		at, _ := answer["access_token"].(string)
		if idt == "" || at == "" {
			t.Fatalf("%s grant: %v", name, answer)
		}
		client := storeApp
		if name == "code" {
			client = forumsApp
		}
		if ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + idt}}); ui.status != http.StatusUnauthorized {
			t.Errorf("%s grant's ID token at userinfo: %d %s", name, ui.status, ui.body)
		}
		if introspectActive(t, s, client, idt) {
			t.Errorf("%s grant's ID token introspected as active", name)
		}
		if ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + at}}); ui.status != http.StatusOK {
			t.Errorf("%s grant's access token at userinfo: %d %s", name, ui.status, ui.body)
		}
		if !introspectActive(t, s, client, at) {
			t.Errorf("%s grant's access token introspected as inactive", name)
		}
	}
}

// TestPasswordGrantRefusesUnknownScopes (adversarial): the password grant
// refuses a scope latchkey does not provide with invalid_scope, as the
// authorization request does (RFC 6749 §3.3, §5.2), before the password is
// checked: a wrong password with an unknown scope is invalid_scope too and
// counts no failed login. Before, the access token carried any scope asked
// for, and a refresh could narrow to it. Known scopes are granted once each.
func TestPasswordGrantRefusesUnknownScopes(t *testing.T) {
	s := newOAuthStack(t)
	for _, password := range []string{alicePass, "not her password"} {
		res := passwordGrantScope(s, "openid admin:all offline_access", password)
		body := res.json(t)
		if res.status != http.StatusBadRequest || body["error"] != "invalid_scope" || body["error_reason"] != "unknown_scope" || body["access_token"] != nil {
			t.Fatalf("unknown scope (password %q): %d %s", password, res.status, res.body)
		}
	}
	u, err := s.Store.GetUser(t.Context(), aliceID)
	must(t, err)
	if u.LastLoginInstant != 0 {
		t.Fatalf("a refused grant recorded a login at %d", u.LastLoginInstant)
	}
	failures, err := s.Store.GetLoginFailures(t.Context(), aliceID)
	must(t, err)
	if failures.Count != 0 {
		t.Fatalf("a refused grant counted %d failed logins", failures.Count)
	}
	res := passwordGrantScope(s, "openid openid offline_access", alicePass)
	if res.status != http.StatusOK || res.json(t)["scope"] != "openid offline_access" {
		t.Fatalf("known scopes: %d %s", res.status, res.body)
	}
}
