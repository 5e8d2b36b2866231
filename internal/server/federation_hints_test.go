package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// hintedRedirect asks down's /oauth2/authorize for the Forums client with
// extra parameters and returns the answer's Location when it sends the
// browser to up's authorization endpoint, "" otherwise.
func hintedRedirect(t *testing.T, b *browser, up *stack, challenge string, extra ...string) (result, string) {
	t.Helper()
	res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, extra...).Encode())
	loc := res.header.Get("Location")
	if res.status == http.StatusFound && strings.HasPrefix(loc, up.URL+"/oauth2/authorize?") {
		return res, loc
	}
	return res, ""
}

// TestIdpHintSkipsTheLoginPage: FusionAuth's idp_hint (a provider's id)
// sends the browser from /oauth2/authorize straight to that provider,
// without the hosted login page, and the sign-in ends with a code for the
// client as the page's button would.
func TestIdpHintSkipsTheLoginPage(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	verifier, challenge := pkce("idp-hint-")
	b := newBrowser(down)
	_, loc := hintedRedirect(t, b, up, challenge, "idp_hint", idpID)
	if loc == "" || !strings.Contains(loc, "code_challenge_method=S256") {
		t.Fatalf("idp_hint did not go to the provider: %q", loc)
	}
	upPage := b.get(loc)
	v := formFields(t, upPage)
	v.Set("loginId", "dave@example.test")
	v.Set("password", alicePass)
	back := b.send(http.MethodPost, up.URL+"/oauth2/authorize", v.Encode(), map[string]string{"Origin": up.URL})
	callback := back.header.Get("Location")
	if !strings.HasPrefix(callback, down.URL+"/oauth2/callback?") {
		t.Fatalf("upstream answer %d %q", back.status, callback)
	}
	q := redirectQuery(t, b.get(callback), forumsCallback)
	if q.Get("state") != "st-1" {
		t.Fatalf("final redirect %v", q)
	}
	if id := idTokenClaims(t, down.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)); id["email"] != "dave@example.test" {
		t.Fatalf("id token %v", id)
	}
}

// TestLoginHintOfAManagedDomainGoesToItsProvider: a login_hint whose domain
// (an email address's, or a bare domain) is one of a provider's managed
// domains sends the browser to that provider; an email is passed on as the
// provider's own login_hint (the upstream latchkey fills its form with
// it), a bare domain is not. A domain nobody manages shows the login page,
// filled with the hint as before.
func TestLoginHintOfAManagedDomainGoesToItsProvider(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	if res := down.do(call{method: "PATCH", path: "/api/identity-provider/" + idpID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"identityProvider":{"domains":["Example.Test"]}}`}); res.status != 200 {
		t.Fatalf("domains: %d %s", res.status, res.body)
	}
	_, challenge := pkce("login-hint-")
	b := newBrowser(down)
	_, loc := hintedRedirect(t, b, up, challenge, "login_hint", "dave@example.test")
	if loc == "" {
		t.Fatal("an email at a managed domain did not go to its provider")
	}
	u, err := url.Parse(loc)
	must(t, err)
	if got := u.Query().Get("login_hint"); got != "dave@example.test" {
		t.Fatalf("login_hint passed upstream %q", got)
	}
	if page := b.get(loc); !strings.Contains(string(page.body), `value="dave@example.test"`) {
		t.Fatalf("the upstream's login page is not filled with the hint: %.600s", page.body)
	}
	_, loc = hintedRedirect(t, newBrowser(down), up, challenge, "login_hint", "example.test")
	if loc == "" {
		t.Fatal("a bare managed domain did not go to its provider")
	}
	if u, _ := url.Parse(loc); u.Query().Has("login_hint") {
		t.Fatalf("a bare domain was passed upstream as an account: %q", loc)
	}
	res, loc := hintedRedirect(t, newBrowser(down), up, challenge, "login_hint", "erin@elsewhere.test")
	if loc != "" || res.status != http.StatusOK || !strings.Contains(string(res.body), `value="erin@elsewhere.test"`) {
		t.Fatalf("an unmanaged domain: %d %q, want the login page filled with the hint", res.status, loc)
	}
}

// TestHintsNeverOverrideTheRules (adversarial): a hint is only a shortcut
// to what the login page offers the client. An unknown id, a provider not
// enabled for this client, or a disabled one shows the login page and
// starts nothing upstream (no federation cookie); a request the client may
// not make is refused before any hint is read; prompt=none still answers
// login_required rather than sending the user to a provider; a live single
// sign-on session still answers with a code at once.
func TestHintsNeverOverrideTheRules(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	_, challenge := pkce("hint-rules-")
	for name, hint := range map[string]string{
		"unknown id":    "00000000-0000-4000-8000-00000000dead",
		"not an id":     "../../oauth2/logout",
		"another app's": idpID, // asked by the Store client below
	} {
		b := newBrowser(down)
		q := authzQuery(forumsApp, forumsCallback, challenge, "idp_hint", hint)
		if name == "another app's" {
			q = authzQuery(storeApp, storeCallback, challenge, "idp_hint", hint)
		}
		res := b.get("/oauth2/authorize?" + q.Encode())
		if res.status != http.StatusOK || res.header.Get("Location") != "" || len(res.header.Values("Set-Cookie")) > 0 &&
			strings.Contains(strings.Join(res.header.Values("Set-Cookie"), ";"), "federation") {
			t.Errorf("%s: %d %q %v, want the login page and no federation", name, res.status, res.header.Get("Location"), res.header.Values("Set-Cookie"))
		}
	}
	// A redirect_uri the client has not registered: the error page, never
	// the provider (and so never a code sent to that address later).
	res := newBrowser(down).get("/oauth2/authorize?" + authzQuery(forumsApp, "https://evil.example.test/cb", challenge, "idp_hint", idpID).Encode())
	if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
		t.Fatalf("bad redirect_uri with idp_hint: %d %q", res.status, res.header.Get("Location"))
	}
	// prompt=none shows nothing, so it cannot send the user upstream.
	res = newBrowser(down).get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "idp_hint", idpID, "prompt", "none").Encode())
	wantRedirectError(t, down, res, forumsCallback, "login_required", "authentication_required", "st-1")
	// A live SSO session answers with a code; the hint is not followed.
	b := newBrowser(down)
	b.login(authzQuery(storeApp, storeCallback, challenge))
	if q := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge, "idp_hint", idpID).Encode()), forumsCallback); q.Get("code") == "" {
		t.Fatalf("SSO session with idp_hint: %v", q)
	}
	// A provider disabled for everyone: no hint.
	if r := down.do(call{method: "PATCH", path: "/api/identity-provider/" + idpID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"identityProvider":{"enabled":false}}`}); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if res, loc := hintedRedirect(t, newBrowser(down), up, challenge, "idp_hint", idpID); loc != "" || res.status != http.StatusOK {
		t.Fatalf("a disabled provider's hint: %d %q", res.status, loc)
	}
}

// TestManagedDomainOnTheLoginForm: a provider that manages an email domain
// (FusionAuth's managed domains) has no button on the login page; the page
// says an address there needs no password, and submitting one sends the
// browser to that provider with the address as its login_hint, the
// password typed (if any) neither checked nor passed on. The sign-in ends
// with a code as the button's would. An address at another domain still
// signs in with its password, and a client the provider is not enabled
// for keeps its password login for the managed domain too.
func TestManagedDomainOnTheLoginForm(t *testing.T) {
	const dave, typed = "dave@corp.example.test", "typed-password-3c9e"
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{dave, true})
	federate(t, down, up, "LinkByEmail")
	if res := down.do(call{method: "PATCH", path: "/api/identity-provider/" + idpID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"identityProvider":{"domains":["corp.example.test"]}}`}); res.status != 200 {
		t.Fatalf("domains: %d %s", res.status, res.body)
	}
	verifier, challenge := pkce("managed-domain-")
	b := newBrowser(down)
	page := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode())
	if buttonRe.Match(page.body) || !strings.Contains(string(page.body), `id="managed-domains"`) {
		t.Fatalf("the page shows the managed provider's button or lacks the hint:\n%s", page.body)
	}
	toUpstream := b.submitLogin(page, dave, typed)
	loc := toUpstream.header.Get("Location")
	if toUpstream.status != http.StatusFound || !strings.HasPrefix(loc, up.URL+"/oauth2/authorize?") {
		t.Fatalf("an address at the managed domain: %d %q", toUpstream.status, loc)
	}
	if u, _ := url.Parse(loc); u.Query().Get("login_hint") != dave || strings.Contains(loc, typed) {
		t.Fatalf("to the provider: %q", loc)
	}
	v := formFields(t, b.get(loc))
	v.Set("loginId", dave)
	v.Set("password", alicePass)
	back := b.send(http.MethodPost, up.URL+"/oauth2/authorize", v.Encode(), map[string]string{"Origin": up.URL})
	q := redirectQuery(t, b.get(back.header.Get("Location")), forumsCallback)
	if id := idTokenClaims(t, down.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)); id["email"] != dave {
		t.Fatalf("id token %v", id)
	}
	// Another domain: the password login as before.
	if q := newBrowser(down).login(authzQuery(forumsApp, forumsCallback, challenge)); q.Get("code") == "" {
		t.Fatalf("alice's password login: %v", q)
	}
	// The Store client does not offer the provider: no hint, and the
	// managed address goes through the password check (dave has no
	// account here, so the usual refusal on the page).
	sb := newBrowser(down)
	storePage := sb.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge).Encode())
	if strings.Contains(string(storePage.body), `id="managed-domains"`) {
		t.Fatal("a client without the provider shows the managed domains hint")
	}
	if res := sb.submitLogin(storePage, dave, typed); res.status != http.StatusOK || res.header.Get("Location") != "" {
		t.Fatalf("the managed address on a client without the provider: %d %q", res.status, res.header.Get("Location"))
	}
}
