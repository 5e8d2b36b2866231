package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuthorizationRequestPostedByTheClientsPage: a relying party may send
// the authorization request as a form POST from its own page (RFC 6749
// §3.1), another origin. latchkey answers it as it answers the GET: the
// login page, and with a live SSO session a code. The login form itself
// stays bound to its own page: the same cross-site POST carrying
// credentials is refused and nothing is logged in.
func TestAuthorizationRequestPostedByTheClientsPage(t *testing.T) {
	s := newOAuthStack(t)
	verifier, challenge := pkce("posted-")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	fromClient := map[string]string{"Origin": forumsSite, "Sec-Fetch-Site": "cross-site"}
	b := newBrowser(s)

	page := b.send(http.MethodPost, "/oauth2/authorize", q.Encode(), fromClient)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `name="password"`) {
		t.Fatalf("posted authorization request: %d %.300s, want the login page", page.status, page.body)
	}

	// Credentials posted cross-site are the login form's, and refused.
	withPassword := formFields(t, page)
	withPassword.Set("loginId", aliceEmail)
	withPassword.Set("password", alicePass)
	if res := b.send(http.MethodPost, "/oauth2/authorize", withPassword.Encode(), fromClient); res.status != http.StatusForbidden ||
		res.header.Get("Location") != "" || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("login form posted cross-site: %d Location %q Set-Cookie %q, want 403 and nothing set",
			res.status, res.header.Get("Location"), res.header.Values("Set-Cookie"))
	}

	code := redirectQuery(t, b.submitLogin(page, aliceEmail, alicePass), forumsCallback).Get("code")
	if res := s.exchange(forumsApp, code, forumsCallback, verifier); res.status != http.StatusOK {
		t.Fatalf("exchange of the posted request's code: %d %s", res.status, res.body)
	}

	// The browser now holds the SSO cookie: a second posted request gets
	// a code at once, as the GET does.
	verifier2, challenge2 := pkce("posted-again-")
	again := redirectQuery(t, b.send(http.MethodPost, "/oauth2/authorize", authzQuery(forumsApp, forumsCallback, challenge2).Encode(), fromClient), forumsCallback)
	if res := s.exchange(forumsApp, again.Get("code"), forumsCallback, verifier2); res.status != http.StatusOK {
		t.Fatalf("exchange of the SSO code: %d %s", res.status, res.body)
	}
}

// TestAuthorizationParametersSentTwiceAreRefused: RFC 6749 §3.1 forbids a
// parameter sent more than once, and §4.1.2.1 an answer to a redirect_uri
// that is not known good, so the request ends on the error page
// (invalid_request) whichever value comes first, by GET and by POST, with
// no redirect and no login page, even with a live SSO session.
func TestAuthorizationParametersSentTwiceAreRefused(t *testing.T) {
	s := newOAuthStack(t)
	_, challenge := pkce("twice-")
	b := newBrowser(s)
	b.login(authzQuery(forumsApp, forumsCallback, challenge)) // an SSO session
	for _, tc := range []struct{ name, extra string }{
		{"client_id", "client_id=" + storeApp},
		{"redirect_uri", "redirect_uri=" + url.QueryEscape("https://evil.example/cb")},
		{"redirect_uri, the same value", "redirect_uri=" + url.QueryEscape(forumsCallback)},
		{"state", "state=other"},
		{"code_challenge", "code_challenge=" + challenge},
		{"response_type", "response_type=code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := authzQuery(forumsApp, forumsCallback, challenge).Encode() + "&" + tc.extra
			for _, res := range []result{
				b.get("/oauth2/authorize?" + query),
				b.send(http.MethodPost, "/oauth2/authorize", query, map[string]string{"Origin": forumsSite}),
			} {
				if res.status != http.StatusBadRequest || res.header.Get("Location") != "" ||
					!strings.Contains(string(res.body), "invalid_request") || strings.Contains(string(res.body), `name="password"`) {
					t.Fatalf("status %d Location %q: %.300s, want 400 invalid_request on the error page", res.status, res.header.Get("Location"), res.body)
				}
			}
		})
	}
	// Each parameter once still gets its code.
	redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), forumsCallback)
}
