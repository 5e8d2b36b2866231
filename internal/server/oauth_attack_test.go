package server_test

import (
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The attack suite of issue 11 (security-bar.md O3–O6): each case sends the
// bad request and checks the refusal and that nothing was issued.

// TestAuthorizeRedirectURIVariants: a redirect_uri that is not exactly a
// registered one is refused on latchkey's own error page (400, no Location),
// never redirected to (O3).
func TestAuthorizeRedirectURIVariants(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("variants-")
	for _, uri := range []string{
		storeCallback + "/", strings.ToUpper(storeCallback[:8]) + storeCallback[8:] + "X",
		"https://store.example.test/CALLBACK", "https://evil@store.example.test/callback",
		"https://store.example.test@evil.example/callback", storeCallback + "#frag", storeCallback + "?next=https://evil.example",
		"https://store.example.test/x/../callback", "https://store.example.test/%63allback",
		"https://store.example.test:8443/callback", "http://store.example.test/callback",
		"https://store.example.test.evil.example/callback", "//evil.example/callback", "https://evil.example/callback",
		"javascript:alert(1)", forumsCallback, // another client's URI
	} {
		t.Run(uri, func(t *testing.T) {
			res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(storeApp, uri, challenge).Encode())
			if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
				t.Fatalf("status %d Location %q, want 400 on the error page", res.status, res.header.Get("Location"))
			}
			if !strings.Contains(string(res.body), "invalid_redirect_uri") {
				t.Fatalf("error page does not say why: %s", res.body)
			}
		})
	}
	// Errors before the client is known are pages too.
	for name, q := range map[string]url.Values{
		"no redirect_uri": authzQuery(storeApp, "", challenge),
		"no client_id":    authzQuery("", storeCallback, challenge),
		"unknown client":  authzQuery("0f1a2b3c-0000-4000-8000-00000000dead", storeCallback, challenge),
		"not a uuid":      authzQuery("store", storeCallback, challenge),
	} {
		res := newBrowser(s).get("/oauth2/authorize?" + q.Encode())
		if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
			t.Errorf("%s: status %d Location %q", name, res.status, res.header.Get("Location"))
		}
	}
}

// TestAuthorizeErrorsRedirected: once the redirect_uri is known to be
// registered, errors go back to it with error_reason, state and iss, and
// the registered URI's own query is kept as it was.
func TestAuthorizeErrorsRedirected(t *testing.T) {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.AuthorizedRedirectURLs = []string{forumsCallback, forumsCallback + "?b=2&a=1"}
	})
	_, challenge := pkce("errors-")
	tests := []struct {
		name, code, reason string
		extra              []string
	}{
		{"response_type token", "unsupported_response_type", "invalid_response_type", []string{"response_type", "token"}},
		{"no response_type", "invalid_request", "missing_response_type", []string{"response_type", ""}},
		{"response_mode fragment", "invalid_request", "invalid_response_mode", []string{"response_mode", "fragment"}},
		{"unknown scope", "invalid_scope", "unknown_scope", []string{"scope", "openid admin"}},
		{"prompt none with login", "invalid_request", "invalid_prompt", []string{"prompt", "none login"}},
		{"prompt none without session", "login_required", "authentication_required", []string{"prompt", "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authzQuery(forumsApp, forumsCallback+"?b=2&a=1", challenge, tt.extra...)
			res := newBrowser(s).get("/oauth2/authorize?" + q.Encode())
			if loc := res.header.Get("Location"); !strings.HasPrefix(loc, forumsCallback+"?b=2&a=1&") {
				t.Fatalf("Location %q does not keep the registered query as it was", loc)
			}
			wantRedirectError(t, s, res, forumsCallback, tt.code, tt.reason, "st-1")
		})
	}
	// Control: a valid query of another client still gets its login page
	// (the errors above are the queries', not the browser's).
	res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge).Encode())
	if res.status != http.StatusOK {
		t.Fatalf("store authorize: %d", res.status)
	}
}

// TestAuthorizeRefusesAClientWithoutTheCodeGrant: an application whose
// enabled grants lack authorization_code gets FusionAuth's
// unauthorized_client / grant_type_disabled at its redirect_uri and no
// code: not from a browser without a session (no login page either), not
// from one already signed in (no code issued silently), not from
// credentials posted straight to the login form.
func TestAuthorizeRefusesAClientWithoutTheCodeGrant(t *testing.T) {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].OAuthConfiguration.EnabledGrants = []string{"refresh_token"}
	})
	_, challenge := pkce("no-code-grant-")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	t.Run("no session", func(t *testing.T) {
		res := newBrowser(s).get("/oauth2/authorize?" + q.Encode())
		wantRedirectError(t, s, res, forumsCallback, "unauthorized_client", "grant_type_disabled", "st-1")
	})
	t.Run("signed in", func(t *testing.T) {
		b := newBrowser(s)
		_, storeChallenge := pkce("no-code-grant-store-")
		if code := b.login(authzQuery(storeApp, storeCallback, storeChallenge)).Get("code"); code == "" {
			t.Fatal("the store app, which has the grant, got no code")
		}
		res := b.get("/oauth2/authorize?" + q.Encode())
		wantRedirectError(t, s, res, forumsCallback, "unauthorized_client", "grant_type_disabled", "st-1")
	})
	t.Run("credentials posted", func(t *testing.T) {
		// The form of another client's login page, its fields turned to
		// forums, as a forged post would be.
		b := newBrowser(s)
		form := formFields(t, b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge).Encode()))
		form.Set("client_id", forumsApp)
		form.Set("redirect_uri", forumsCallback)
		form.Set("loginId", aliceEmail)
		form.Set("password", alicePass)
		res := b.send(http.MethodPost, "/oauth2/authorize", form.Encode(), map[string]string{"Origin": s.URL, "Sec-Fetch-Site": "same-origin"})
		wantRedirectError(t, s, res, forumsCallback, "unauthorized_client", "grant_type_disabled", "st-1")
	})
}

// TestPKCERules (O4): a public client must send an S256 challenge; plain is
// refused unless the application allows it; at the token endpoint a
// missing, wrong or downgraded verifier fails and burns the code.
func TestPKCERules(t *testing.T) {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[wikiApp].OAuthConfiguration.AllowPlainCodeChallengeMethod = true
	})
	verifier, challenge := pkce("pkce-rules-")
	t.Run("public client without challenge", func(t *testing.T) {
		res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, "", "code_challenge_method", "").Encode())
		wantRedirectError(t, s, res, forumsCallback, "invalid_request", "missing_code_challenge", "st-1")
	})
	t.Run("plain refused", func(t *testing.T) {
		res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, verifier, "code_challenge_method", "plain").Encode())
		wantRedirectError(t, s, res, forumsCallback, "invalid_request", "invalid_pkce_code_challenge_method", "st-1")
	})
	t.Run("no method means plain", func(t *testing.T) {
		res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, verifier, "code_challenge_method", "").Encode())
		wantRedirectError(t, s, res, forumsCallback, "invalid_request", "invalid_pkce_code_challenge_method", "st-1")
	})
	t.Run("malformed challenge", func(t *testing.T) {
		res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, "short").Encode())
		wantRedirectError(t, s, res, forumsCallback, "invalid_request", "invalid_pkce_code_challenge", "st-1")
	})
	t.Run("plain where allowed", func(t *testing.T) {
		q := newBrowser(s).login(authzQuery(wikiApp, wikiCallback, verifier, "code_challenge_method", "plain"))
		if res := s.exchange(wikiApp, q.Get("code"), wikiCallback, verifier); res.status != http.StatusOK {
			t.Fatalf("plain exchange: %d %s", res.status, res.body)
		}
	})
	for name, sent := range map[string]string{
		"missing verifier":   "",
		"wrong verifier":     strings.Repeat("x", 43),
		"downgrade to plain": challenge, // the challenge itself as a plain verifier
	} {
		t.Run(name, func(t *testing.T) {
			q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
			wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, sent), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
			// The code is burnt: the right verifier no longer helps.
			wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
		})
	}
	t.Run("malformed verifier", func(t *testing.T) {
		q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
		wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, "short"), http.StatusBadRequest, "invalid_request", "invalid_pkce_code_verifier")
		// A syntax error is found before the code is looked at: it still works.
		if res := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier); res.status != http.StatusOK {
			t.Fatalf("exchange after a malformed verifier: %d %s", res.status, res.body)
		}
	})
	t.Run("verifier without challenge", func(t *testing.T) {
		q := newBrowser(s).login(authzQuery(storeApp, storeCallback, "", "code_challenge_method", ""))
		wantOAuthError(t, s.exchange(storeApp, q.Get("code"), storeCallback, verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
	})
}

// TestCodeReplayRevokesTokens (O5): the second use of a code is refused and
// revokes what the first use issued: the refresh token no longer refreshes,
// the access token is inactive at introspection and refused by userinfo.
func TestCodeReplayRevokesTokens(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("replay-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	first := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: %d %s", first.status, first.body)
	}
	tok := first.json(t)
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)
	if !introspectActive(t, s, forumsApp, at) {
		t.Fatal("access token inactive before the replay")
	}
	wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
	if introspectActive(t, s, forumsApp, at) {
		t.Error("access token still active after the code was replayed")
	}
	res := s.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {forumsApp}, "refresh_token": {rt}})
	wantOAuthError(t, res, http.StatusBadRequest, "invalid_grant", "refresh_token_not_found")
	ui := s.do(call{method: "GET", path: "/oauth2/userinfo", hdr: map[string]string{"Authorization": "Bearer " + at}})
	if ui.status != http.StatusUnauthorized {
		t.Errorf("userinfo after replay: %d", ui.status)
	}
}

// TestCodeFromAnotherClient (O4): a code issued to Forums is refused to Wiki
// (same redirect rules, public too) and to Store, and is burnt for Forums.
func TestCodeFromAnotherClient(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("other-client-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	wantOAuthError(t, s.exchange(wikiApp, q.Get("code"), forumsCallback, verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
	wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")

	q = newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	wantOAuthError(t, s.exchange(forumsApp, q.Get("code"), forumsCallback+"/", verifier), http.StatusBadRequest, "invalid_request", "auth_code_not_found")
}

// TestStateNonceAndIssuer (O6): state comes back byte for byte, absent when
// not sent; nonce only when sent; the authorization response names the
// issuer (RFC 9207), equal to discovery's, so a client can detect a mix-up.
func TestStateNonceAndIssuer(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("state-nonce-")
	odd := `a b&c=d/é?"<>`
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge, "state", odd))
	if q.Get("state") != odd {
		t.Fatalf("state %q, want %q", q.Get("state"), odd)
	}
	issuer := s.do(call{method: "GET", path: "/.well-known/openid-configuration"}).json(t)["issuer"]
	if q.Get("iss") != issuer {
		t.Fatalf("iss %q, discovery issuer %v", q.Get("iss"), issuer)
	}
	id := idTokenClaims(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier))
	if id["nonce"] != "n-1" || id["iss"] != issuer || id["aud"] != forumsApp {
		t.Fatalf("id token %v", id)
	}

	q = newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge, "state", "", "nonce", ""))
	if _, ok := q["state"]; ok {
		t.Fatalf("state sent back though none was sent: %v", q)
	}
	if id := idTokenClaims(t, s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)); id["nonce"] != nil {
		t.Fatalf("nonce %v in an id token whose request had none", id["nonce"])
	}
}

// TestHostedPageHeaders (O6, §4.11): the login and error pages cannot be
// framed, run no script, post forms only to latchkey and the client, and are
// not cached.
func TestHostedPageHeaders(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("headers-")
	for name, path := range map[string]string{
		"login": "/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode(),
		"error": "/oauth2/authorize?client_id=nope",
	} {
		res := newBrowser(s).get(path)
		csp := res.header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %s", name, csp, d)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows script", name, csp)
		}
		if res.header.Get("X-Frame-Options") != "DENY" || res.header.Get("Cache-Control") != "no-store" ||
			res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", name, res.header)
		}
		if name == "login" && !strings.Contains(csp, "form-action 'self' https://forums.example.test;") {
			t.Errorf("login CSP form-action: %q", csp)
		}
		if strings.Contains(string(res.body), "<script") {
			t.Errorf("%s page has a script", name)
		}
	}
}

// TestHostedLoginCSRF (O6, §4.7): a login form posted cross-site, from an
// application's own (CORS-allowed) origin, or without the page's CSRF token
// is refused with 403 before any password is checked: the failures are not
// counted (alice is not locked out after more than the threshold), and no
// code is issued.
func TestHostedLoginCSRF(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("csrf-")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	b := newBrowser(s)
	page := b.get("/oauth2/authorize?" + q.Encode())
	fields := formFields(t, page)
	post := func(v url.Values, hdr map[string]string) result {
		v.Set("loginId", aliceEmail)
		v.Set("password", "wrong password")
		return b.send(http.MethodPost, "/oauth2/authorize", v.Encode(), hdr)
	}
	clone := func(drop string) url.Values {
		v := url.Values{}
		for k, vs := range fields {
			if k != drop {
				v[k] = vs
			}
		}
		return v
	}
	for name, tc := range map[string]struct {
		v   url.Values
		hdr map[string]string
	}{
		"foreign origin":       {clone(""), map[string]string{"Origin": "https://evil.example"}},
		"application's origin": {clone(""), map[string]string{"Origin": forumsSite}},
		"null origin":          {clone(""), map[string]string{"Origin": "null"}},
		"cross-site fetch":     {clone(""), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"same-site sibling":    {clone(""), map[string]string{"Sec-Fetch-Site": "same-site"}},
		"no token":             {clone("csrf"), map[string]string{"Origin": s.URL}},
		"wrong token":          {func() url.Values { v := clone(""); v.Set("csrf", strings.Repeat("A", 52)); return v }(), map[string]string{"Origin": s.URL}},
	} {
		res := post(tc.v, tc.hdr)
		if res.status != http.StatusForbidden || res.header.Get("Location") != "" {
			t.Errorf("%s: status %d Location %q, want 403", name, res.status, res.header.Get("Location"))
		}
	}
	// A new browser without the cookie, replaying the victim page's token.
	res := newBrowser(s).send(http.MethodPost, "/oauth2/authorize", func() string {
		v := clone("")
		v.Set("loginId", aliceEmail)
		v.Set("password", alicePass)
		return v.Encode()
	}(), map[string]string{"Origin": s.URL})
	if res.status != http.StatusForbidden {
		t.Errorf("token without its cookie: status %d", res.status)
	}
	// None of the seven wrong passwords was counted (lockout is at 3).
	final := redirectQuery(t, b.submitLogin(page, aliceEmail, alicePass), forumsCallback)
	if final.Get("code") == "" {
		t.Fatalf("alice cannot log in after refused CSRF attempts: %v", final)
	}
}

// TestHostedLoginFailures: a wrong password shows one message whatever the
// cause (same for an unknown user), the third locks the account (the same
// lockout as /api/login), and a user not registered for the client is sent
// back with access_denied.
func TestHostedLoginFailures(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("failures-")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	b := newBrowser(s)
	unknown := b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), "nobody@example.test", "whatever")
	wrong := b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), aliceEmail, "wrong")
	for _, res := range []result{unknown, wrong} {
		if res.status != http.StatusOK || !strings.Contains(string(res.body), `role="alert"`) ||
			!strings.Contains(string(res.body), "The email, username or password is not correct.") {
			t.Fatalf("failed login page %d: %s", res.status, res.body)
		}
	}
	for range 2 {
		b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), aliceEmail, "wrong")
	}
	locked := b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), aliceEmail, alicePass)
	if locked.status != http.StatusConflict || !strings.Contains(string(locked.body), "locked") {
		t.Fatalf("after 3 failures: %d %s", locked.status, locked.body)
	}
	// The same counter as /api/login.
	if res := s.login(storeApp, nil); res.status != http.StatusConflict {
		t.Fatalf("/api/login after hosted-page failures: %d", res.status)
	}
}

func TestHostedLoginUnregistered(t *testing.T) {
	s := newOAuthStack(t)
	ctx := t.Context()
	must(t, s.Store.DeleteRegistration(ctx, aliceID, forumsApp))
	_, challenge := pkce("unregistered-")
	b := newBrowser(s)
	res := b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), aliceEmail, alicePass)
	wantRedirectError(t, s, res, forumsCallback, "access_denied", "registration_required", "st-1")
}

// TestHostedLoginRateLimited: one address gets the rule's 20 hosted-login
// posts (a minute by default), then a 429 page with Retry-After, whatever accounts it tries (the
// per-account lockout does not stop a spray over many accounts).
func TestHostedLoginRateLimited(t *testing.T) {
	// The rule's 20 attempts, refilled over a day rather than a minute:
	// at 20 a minute a loaded machine refilled one while the 20 hashed
	// attempts ran, and the 21st passed.
	s := buildOAuthStack(t, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "hosted-login=20/24h" }})
	_, challenge := pkce("rate-limited-")
	b := newBrowser(s)
	page := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode())
	for i := range 20 {
		if res := b.submitLogin(page, "user"+strings.Repeat("x", i)+"@example.test", "guess"); res.status != http.StatusOK {
			t.Fatalf("attempt %d: %d", i+1, res.status)
		}
	}
	res := b.submitLogin(page, aliceEmail, alicePass)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || res.header.Get("Location") != "" {
		t.Fatalf("21st attempt: %d %v", res.status, res.header)
	}
}
