package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginHintPrefillsLoginPage: login_hint (OIDC Core §3.1.2.1) fills the
// login page's user name, escaped, and is carried through the form; the
// password then goes to the focused field.
func TestLoginHintPrefillsLoginPage(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("hint")
	b := newBrowser(s)
	page := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "login_hint", aliceEmail).Encode())
	body := string(page.body)
	if !strings.Contains(body, `name="loginId" type="text" value="`+aliceEmail+`"`) || !strings.Contains(body, `autocomplete="current-password" required autofocus`) {
		t.Fatalf("login_hint not prefilled: %s", body)
	}
	if formFields(t, page).Get("login_hint") != aliceEmail {
		t.Fatal("login_hint is not carried through the form")
	}
	redirectQuery(t, b.submitLogin(page, aliceEmail, alicePass), forumsCallback)

	evil := `"><script>alert(1)</script>`
	page = newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "login_hint", evil).Encode())
	if strings.Contains(string(page.body), "<script>alert") || !strings.Contains(string(page.body), `value="&#34;&gt;&lt;script&gt;`) {
		t.Fatalf("login_hint not escaped: %s", page.body)
	}
}

// TestAuthorizeWildcardRedirectPolicy: with authorizedURLValidationPolicy
// AllowWildcards a registered pattern admits its matches end to end (the
// code goes to the matched URI) and nothing else; under ExactMatch the
// same pattern is a literal that matches nothing real.
func TestAuthorizeWildcardRedirectPolicy(t *testing.T) {
	pattern := "https://*.forums.example.test/cb"
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		o := &apps[forumsApp].OAuthConfiguration
		o.AuthorizedURLValidationPolicy, o.AuthorizedRedirectURLs = "AllowWildcards", []string{pattern}
		w := &apps[wikiApp].OAuthConfiguration
		w.AuthorizedRedirectURLs = []string{"https://*.wiki.example.test/cb"} // ExactMatch (default)
	})
	_, challenge := pkce("wildcard")
	matched := "https://eu.forums.example.test/cb"
	b := newBrowser(s)
	q := b.login(authzQuery(forumsApp, matched, challenge))
	if q.Get("code") == "" {
		t.Fatalf("wildcard match: %v", q)
	}
	for _, uri := range []string{"https://a.b.forums.example.test/cb", "https://forums.example.test/cb",
		"https://eu.forums.example.test.evil.example/cb", "https://eu.forums.example.test/cb/x", "https://u@eu.forums.example.test/cb"} {
		if res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(forumsApp, uri, challenge).Encode()); res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
			t.Errorf("%s under AllowWildcards: %d Location %q", uri, res.status, res.header.Get("Location"))
		}
	}
	if res := newBrowser(s).get("/oauth2/authorize?" + authzQuery(wikiApp, "https://x.wiki.example.test/cb", challenge).Encode()); res.status != http.StatusBadRequest {
		t.Errorf("a wildcard under ExactMatch matched: %d", res.status)
	}
}
