package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The OAuth tests' world, on top of newStack's: Store is a confidential
// client (secret required) with the code flow, its callback registered and
// single sign-on on; Forums is a public SPA client (no secret, PKCE) with
// SSO on too; Wiki is a public client without SSO. alice is registered to
// all three.
const (
	storeCallback  = storeSite + "/callback"
	forumsCallback = forumsSite + "/cb"
	wikiApp        = "0f1a2b3c-0000-4000-8000-0000000000a3"
	wikiCallback   = "https://wiki.example.test/cb"
)

func newOAuthStack(t testing.TB, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	return buildOAuthStack(t, stackOpts{}, edit...)
}

// buildOAuthStack is newOAuthStack with stack options.
func buildOAuthStack(t testing.TB, o stackOpts, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	s := buildStack(t, o, append([]func(map[string]*storage.Application, *storage.Tenant){func(apps map[string]*storage.Application, _ *storage.Tenant) {
		st := &apps[storeApp].OAuthConfiguration
		st.EnabledGrants = []string{"authorization_code", "password", "refresh_token"}
		st.AuthorizedRedirectURLs, st.SSOEnabled = []string{storeCallback}, true
		fo := &apps[forumsApp].OAuthConfiguration
		fo.EnabledGrants = []string{"authorization_code", "refresh_token"}
		fo.AuthorizedRedirectURLs, fo.SSOEnabled = []string{forumsCallback}, true
		fo.ClientAuthenticationPolicy = "NotRequired"
		wiki := *apps[forumsApp]
		wiki.ID, wiki.Name = wikiApp, "Wiki"
		wiki.OAuthConfiguration.ClientID, wiki.OAuthConfiguration.SSOEnabled = wikiApp, false
		wiki.OAuthConfiguration.AuthorizedRedirectURLs = []string{wikiCallback}
		wiki.OAuthConfiguration.AuthorizedOriginURLs = []string{"https://wiki.example.test"}
		apps[wikiApp] = &wiki
	}}, edit...)...)
	ctx := context.Background()
	for i, app := range []string{forumsApp, wikiApp} {
		must(t, s.Store.CreateRegistration(ctx, storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c" + string(rune('2'+i)),
			ApplicationID: app, UserID: aliceID, Roles: []string{"user"}}))
	}
	return s
}

// browser is a user agent: a cookie jar on the identity server, redirects
// not followed (the test reads each Location), and the Origin a browser
// sends with a form post from the page it was served.
type browser struct {
	t  testing.TB
	s  *stack
	hc *http.Client
}

func newBrowser(s *stack) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a path (or absolute URL) of the identity server.
func (b *browser) get(path string) result {
	b.t.Helper()
	return b.send(http.MethodGet, path, "", nil)
}

func (b *browser) send(method, path, body string, hdr map[string]string) result {
	b.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = b.s.URL + path
	}
	req, err := http.NewRequest(method, path, strings.NewReader(body))
	must(b.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.hc.Do(req)
	must(b.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	must(b.t, err)
	return result{res.StatusCode, res.Header, raw}
}

var inputRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formFields reads the hidden fields of the login page.
func formFields(t testing.TB, page result) url.Values {
	t.Helper()
	if page.status != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("expected the login page, got %d %s: %.300s", page.status, page.header.Get("Content-Type"), page.body)
	}
	v := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(string(page.body), -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

// submitLogin posts the page's form with credentials from the page's own
// origin, as the browser does.
func (b *browser) submitLogin(page result, loginID, password string) result {
	b.t.Helper()
	v := formFields(b.t, page)
	v.Set("loginId", loginID)
	v.Set("password", password)
	return b.send(http.MethodPost, "/oauth2/authorize", v.Encode(), map[string]string{"Origin": b.s.URL, "Sec-Fetch-Site": "same-origin"})
}

// login runs the authorize request q through the login page with alice's
// credentials and returns the final redirect's query.
func (b *browser) login(q url.Values) url.Values {
	b.t.Helper()
	res := b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), aliceEmail, alicePass)
	return redirectQuery(b.t, res, q.Get("redirect_uri"))
}

// redirectQuery checks res is a 302 to redirectURI and returns its query.
func redirectQuery(t testing.TB, res result, redirectURI string) url.Values {
	t.Helper()
	loc := res.header.Get("Location")
	if res.status != http.StatusFound || !strings.HasPrefix(loc, redirectURI+"?") {
		t.Fatalf("expected a redirect to %s, got %d Location %q: %.300s", redirectURI, res.status, loc, res.body)
	}
	u, err := url.Parse(loc)
	must(t, err)
	return u.Query()
}

// pkce returns a verifier and its S256 challenge (RFC 7636 §4.2).
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authzQuery is an authorization request of client to redirectURI with
// PKCE S256.
func authzQuery(client, redirectURI, challenge string, extra ...string) url.Values {
	q := url.Values{"client_id": {client}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q
}

// token posts a form to /oauth2/token.
func (s *stack) token(form url.Values, hdr ...string) result {
	s.t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	return s.do(call{method: "POST", path: "/oauth2/token", body: form.Encode(), hdr: h})
}

// exchange redeems code for the public Forums client.
func (s *stack) exchange(client, code, redirectURI, verifier string) result {
	s.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "code": {code},
		"redirect_uri": {redirectURI}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	if client == storeApp {
		f.Set("client_secret", secret)
	}
	return s.token(f)
}
