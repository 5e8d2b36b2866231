package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSingleSignOn: a login through an application that opted in sets the
// SSO cookie, and a second opted-in application then gets a code without a
// password; prompt=login and max_age force the password again; an
// application that did not opt in always shows the login page; prompt=none
// works with the session and says login_required without one.
func TestSingleSignOn(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("single-sign-on-")
	b := newBrowser(s)
	b.login(authzQuery(storeApp, storeCallback, challenge))

	q := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), forumsCallback)
	store := idTokenClaims(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier))
	if store["sub"] != aliceID {
		t.Fatalf("SSO id token %v", store)
	}
	q = redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge, "prompt", "none").Encode()), forumsCallback)
	if q.Get("code") == "" {
		t.Fatalf("prompt=none with a session: %v", q)
	}
	for name, extra := range map[string][]string{"prompt=login": {"prompt", "login"}, "max_age=0": {"max_age", "0"}} {
		if res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, extra...).Encode()); res.status != http.StatusOK {
			t.Errorf("%s: %d, want the login page", name, res.status)
		}
	}
	s.Clock.Advance(2 * time.Minute)
	if res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "max_age", "60").Encode()); res.status != http.StatusOK {
		t.Errorf("max_age=60 two minutes after the login: %d, want the login page", res.status)
	}
	if res := b.get("/oauth2/authorize?" + authzQuery(wikiApp, wikiCallback, challenge).Encode()); res.status != http.StatusOK {
		t.Errorf("an application without SSO got %d, want the login page", res.status)
	}
	res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "prompt", "none").Encode())
	wantRedirectError(t, s, res, forumsCallback, "login_required", "authentication_required", "st-1")
}

// TestNoSSOCookieUnlessOptedIn: the native-login workflow keeps "no SSO": a
// login through an application that did not opt in sets no SSO cookie.
func TestNoSSOCookieUnlessOptedIn(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("no-sso-")
	b := newBrowser(s)
	res := b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(wikiApp, wikiCallback, challenge).Encode()), aliceEmail, alicePass)
	redirectQuery(t, res, wikiCallback)
	if v := cookieValue(res, "latchkey_sso"); v != "" {
		t.Fatal("a login for an application without SSO set the SSO cookie")
	}
	if res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode()); res.status != http.StatusOK {
		t.Fatalf("SSO from a non-SSO login: %d", res.status)
	}
	// The SSO cookie, when set, is HttpOnly, host-only and SameSite=Lax.
	res = b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), aliceEmail, alicePass)
	var sso string
	for _, c := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "latchkey_sso=") {
			sso = c
		}
	}
	if !strings.Contains(sso, "HttpOnly") || !strings.Contains(sso, "SameSite=Lax") || strings.Contains(sso, "Domain") {
		t.Fatalf("SSO cookie %q", sso)
	}
}

// TestRPInitiatedLogout: /oauth2/logout with the id token ends the session:
// its tokens are revoked (introspection inactive, refresh refused), the SSO
// cookie is cleared, the next authorize asks for the password, and the
// browser goes to the registered post_logout_redirect_uri with state. An
// unregistered post_logout_redirect_uri, or an id_token_hint of another
// client, is refused on a page and ends nothing.
func TestRPInitiatedLogout(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("rp-logout-")
	b := newBrowser(s)
	q := b.login(authzQuery(forumsApp, forumsCallback, challenge))
	tok := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier).json(t)
	idt, at, rt := tok["id_token"].(string), tok["access_token"].(string), tok["refresh_token"].(string)

	for name, v := range map[string]url.Values{
		"unregistered redirect":   {"id_token_hint": {idt}, "post_logout_redirect_uri": {"https://evil.example/"}},
		"hint of another client":  {"id_token_hint": {idt}, "client_id": {storeApp}},
		"forged hint":             {"id_token_hint": {idt[:len(idt)-4] + "AAAA"}},
		"redirect without client": {"post_logout_redirect_uri": {forumsCallback}},
	} {
		res := b.get("/oauth2/logout?" + v.Encode())
		if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
			t.Errorf("%s: %d Location %q", name, res.status, res.header.Get("Location"))
		}
	}
	if !introspectActive(t, s, forumsApp, at) {
		t.Fatal("a refused logout ended the session")
	}

	s.Clock.Advance(2 * time.Hour) // the id token has expired: still a valid hint
	res := b.get("/oauth2/logout?" + url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {forumsCallback},
		"state": {"bye"}}.Encode())
	if res.status != http.StatusFound || res.header.Get("Location") != forumsCallback+"?state=bye" {
		t.Fatalf("logout: %d Location %q", res.status, res.header.Get("Location"))
	}
	if c := cookieValue(res, "latchkey_sso"); c != "" || !strings.Contains(strings.Join(res.header.Values("Set-Cookie"), ";"), "latchkey_sso=;") {
		t.Errorf("SSO cookie not cleared: %v", res.header.Values("Set-Cookie"))
	}
	if introspectActive(t, s, forumsApp, at) {
		t.Error("access token active after logout")
	}
	r := s.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {forumsApp}, "refresh_token": {rt}})
	wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant", "refresh_token_not_found")
	if res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode()); res.status != http.StatusOK {
		t.Errorf("authorize after logout: %d, want the login page", res.status)
	}
	// Without a redirect: the signed-out page.
	page := newBrowser(s).get("/oauth2/logout")
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "You are signed out") {
		t.Errorf("logout page: %d %s", page.status, page.body)
	}
}

// TestLogoutURLFallback: without post_logout_redirect_uri the application's
// logoutURL is used.
func TestLogoutURLFallback(t *testing.T) {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.LogoutURL = forumsSite + "/signed-out"
	})
	res := newBrowser(s).get("/oauth2/logout?client_id=" + forumsApp + "&state=s")
	if res.header.Get("Location") != forumsSite+"/signed-out?state=s" {
		t.Fatalf("Location %q", res.header.Get("Location"))
	}
}

// TestIntrospectRevokeUserinfo: introspection answers every claim of an
// active token of the caller, 401 for another client's token, the refresh
// token's facts; a confidential client must authenticate; /oauth2/revoke
// revokes the refresh token and its access tokens; userinfo refuses a
// missing or revoked token with 401 and WWW-Authenticate.
func TestIntrospectRevokeUserinfo(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("introspect-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	tok := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier).json(t)
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	post := func(path, body string) result {
		return s.do(call{method: "POST", path: path, body: body, hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	}
	res := post("/oauth2/introspect", form("client_id", forumsApp, "token", at))
	c := res.json(t)
	if c["active"] != true || c["sub"] != aliceID || c["aud"] != forumsApp || c["scope"] != "openid offline_access" || c["sid"] == nil {
		t.Fatalf("introspection %v", c)
	}
	wantOAuthError(t, post("/oauth2/introspect", form("client_id", wikiApp, "token", at)), http.StatusUnauthorized, "invalid_client", "client_id_mismatch")
	wantOAuthError(t, post("/oauth2/introspect", form("client_id", storeApp, "token", at)), http.StatusUnauthorized, "invalid_client", "client_authentication_missing")
	wantOAuthError(t, post("/oauth2/introspect", form("client_id", storeApp, "client_secret", "nope", "token", at)), http.StatusUnauthorized, "invalid_client", "invalid_client_authentication")
	if r := post("/oauth2/introspect", form("client_id", forumsApp, "token", "garbage.garbage.garbage")).json(t); len(r) != 1 || r["active"] != false {
		t.Fatalf("garbage introspection %v", r)
	}
	r := post("/oauth2/introspect", form("client_id", forumsApp, "token", rt)).json(t)
	if r["active"] != true || r["sub"] != aliceID || r["client_id"] != forumsApp {
		t.Fatalf("refresh token introspection %v", r)
	}
	if r := post("/oauth2/introspect", form("client_id", wikiApp, "token", rt)).json(t); r["active"] != false {
		t.Fatalf("another client's refresh token: %v", r)
	}

	ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + at}})
	if u := ui.json(t); ui.status != 200 || u["sub"] != aliceID || u["email"] != aliceEmail || u["applicationId"] != forumsApp {
		t.Fatalf("userinfo %d %v", ui.status, u)
	}
	none := s.do(call{method: "GET", path: "/oauth2/userinfo"})
	if none.status != 401 || !strings.HasPrefix(none.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("userinfo without token: %d %v", none.status, none.header)
	}

	// Revoking another client's token does nothing (and says nothing).
	if res := post("/oauth2/revoke", form("client_id", wikiApp, "token", rt)); res.status != 200 || len(res.body) != 0 {
		t.Fatalf("revoke by another client: %d %s", res.status, res.body)
	}
	if !introspectActive(t, s, forumsApp, at) {
		t.Fatal("another client revoked the session")
	}
	if res := post("/oauth2/revoke", form("client_id", forumsApp, "token", rt)); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	if introspectActive(t, s, forumsApp, at) {
		t.Error("access token active after its refresh token was revoked")
	}
	if ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + at}}); ui.status != 401 {
		t.Errorf("userinfo after revoke: %d", ui.status)
	}
	if res := post("/oauth2/revoke", form("client_id", forumsApp, "token", "unknown")); res.status != 200 {
		t.Errorf("revoking an unknown token: %d", res.status)
	}
}

// TestApplicationOAuthSettingsValidated: the code flow's settings are
// checked when an application is saved.
func TestApplicationOAuthSettingsValidated(t *testing.T) {
	s := newOAuthStack(t)
	body := `{"application":{"name":"Bad","oauthConfiguration":{"authorizedURLValidationPolicy":"Loose",
		"proofKeyForCodeExchangePolicy":"Sometimes","authorizedRedirectURLs":["https://a.example/cb#x","https://*.example.com/cb"],
		"logoutURL":"javascript:alert(1)"}}}`
	res := s.do(call{method: "POST", path: "/api/application", body: body, hdr: map[string]string{"Authorization": apiKey}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	for _, f := range []string{"authorizedURLValidationPolicy", "proofKeyForCodeExchangePolicy", "authorizedRedirectURLs", "logoutURL"} {
		if !strings.Contains(string(res.body), "[invalid]application.oauthConfiguration."+f) {
			t.Errorf("no field error for %s: %s", f, res.body)
		}
	}
}

// TestHostedLoginPasswordChangeRequired: the login outcomes /api/login
// withholds tokens for (here 203, change password) withhold the code too:
// the page says why and no code is issued.
func TestHostedLoginPasswordChangeRequired(t *testing.T) {
	s := newOAuthStack(t)
	ctx := t.Context()
	u, err := s.Store.GetUser(ctx, aliceID)
	must(t, err)
	u.PasswordChangeRequired = true
	must(t, s.Store.UpdateUser(ctx, u))
	_, challenge := pkce("change-required-")
	b := newBrowser(s)
	res := b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), aliceEmail, alicePass)
	if res.status != http.StatusOK || res.header.Get("Location") != "" || !strings.Contains(string(res.body), "must be changed") {
		t.Fatalf("change required: %d %q %.400s", res.status, res.header.Get("Location"), res.body)
	}
}
