package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Federation tests run two latchkeys: the usual stack (downstream), and a
// second instance acting as the upstream OpenID provider, so no network
// beyond loopback is needed.
const (
	upstreamApp    = "9b8c7d6e-0000-4000-8000-0000000000f1"
	upstreamSecret = "upstream-client-secret-0123456789"
	idpID          = "9b8c7d6e-0000-4000-8000-0000000000f2"
	spaIdPCallback = "https://forums.example.test/idp-callback"
)

// upstreamUser is an account at the upstream provider.
type upstreamUser struct {
	email    string
	verified bool
}

// newUpstream starts the upstream provider with one confidential client
// (the downstream latchkey) and users, and returns it as a stack.
func newUpstream(t *testing.T, users ...upstreamUser) *stack {
	t.Helper()
	in := apptest.Start(t, apptest.Options{Tenant: func(tn *storage.Tenant) {
		tn.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{EncryptionScheme: "salted-pbkdf2-hmac-sha256", EncryptionSchemeFactor: testFactor}
	}, Seed: func(ctx context.Context, st storage.Storage) error {
		app := manage.ApplicationDefaults()
		app.ID, app.TenantID, app.Name, app.Active, app.State = upstreamApp, tenantID, "Downstream latchkey", true, "Active"
		app.OAuthConfiguration.ClientID, app.OAuthConfiguration.ClientSecret = upstreamApp, upstreamSecret
		app.OAuthConfiguration.EnabledGrants = []string{"authorization_code"}
		if err := st.CreateApplication(ctx, app); err != nil {
			return err
		}
		for i, u := range users {
			ph, err := password.Hash(context.Background(), alicePass, "salted-pbkdf2-hmac-sha256", testFactor)
			if err != nil {
				return err
			}
			id := fmt.Sprintf("9b8c7d6e-0000-4000-8000-00000000010%d", i)
			if err := st.CreateUser(ctx, storage.User{ID: id, TenantID: tenantID, Active: true, Email: u.email,
				FirstName: "Up", Verified: u.verified, Password: ph}); err != nil {
				return err
			}
			if err := st.CreateRegistration(ctx, storage.Registration{ID: fmt.Sprintf("9b8c7d6e-0000-4000-8000-00000000020%d", i),
				UserID: id, ApplicationID: upstreamApp, Roles: []string{}}); err != nil {
				return err
			}
		}
		return nil
	}})
	return &stack{t: t, URL: in.URL, Store: in.Store, Clock: &clock{t: time.Now()}, Srv: in.App.Server}
}

// federate registers the upstream at the downstream (and the downstream's
// callback at the upstream) with strategy.
func federate(t *testing.T, down, up *stack, strategy string) {
	t.Helper()
	res := up.do(call{method: "PATCH", path: "/api/application/" + upstreamApp, hdr: map[string]string{"Authorization": apiKeyOf(up)},
		body: `{"application":{"oauthConfiguration":{"authorizedRedirectURLs":["` + down.URL + `/oauth2/callback","` + spaIdPCallback + `"]}}}`})
	if res.status != 200 {
		t.Fatalf("upstream redirect URLs: %d %s", res.status, res.body)
	}
	body := fmt.Sprintf(`{"identityProvider":{"type":"OpenIDConnect","name":"Upstream","buttonText":"Sign in with Upstream",
		"enabled":true,"linkingStrategy":%q,"oauth2":{"client_id":%q,"client_secret":%q,"issuer":%q,"scope":"openid email profile"},
		"applicationConfiguration":{%q:{"enabled":true,"createRegistration":true}}}}`, strategy, upstreamApp, upstreamSecret, up.URL, forumsApp)
	if res := down.do(call{method: "POST", path: "/api/identity-provider/" + idpID, hdr: map[string]string{"Authorization": apiKey}, body: body}); res.status != 200 {
		t.Fatalf("create identity provider: %d %s", res.status, res.body)
	}
}

// apiKeyOf finds the upstream's super key: apptest created it; the stack
// kept no copy, so the test sets one through the store.
func apiKeyOf(s *stack) string {
	k := "upstream-api-key-0123456789abcdef"
	_ = s.Store.CreateAPIKey(context.Background(), storage.APIKey{ID: "9b8c7d6e-0000-4000-8000-0000000000ff",
		KeyHash: manage.HashAPIKey(k), KeyManager: true})
	return k
}

// upstreamCode logs email in at the upstream for the SPA's callback and
// returns the code.
func upstreamCode(t *testing.T, up *stack, email string) string {
	t.Helper()
	q := url.Values{"client_id": {upstreamApp}, "redirect_uri": {spaIdPCallback}, "response_type": {"code"}, "scope": {"openid email profile"}}
	b := newBrowser(up)
	return redirectQuery(t, b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), email, alicePass), spaIdPCallback).Get("code")
}

func idpLogin(s *stack, code string) result {
	return s.do(call{method: "POST", path: "/api/identity-provider/login", body: fmt.Sprintf(
		`{"applicationId":%q,"identityProviderId":%q,"data":{"code":%q,"redirect_uri":%q}}`, forumsApp, idpID, code, spaIdPCallback)})
}

// TestIdentityProviderLoginAPI: POST /api/identity-provider/login with an
// upstream code creates the user (LinkByEmail), registers them and answers
// like /api/login; the next login finds the same user through the link;
// a bad code is refused and logs nobody in.
func TestIdentityProviderLoginAPI(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"bob@example.test", true})
	federate(t, down, up, "LinkByEmail")
	res := idpLogin(down, upstreamCode(t, up, "bob@example.test"))
	if res.status != 200 {
		t.Fatalf("identity provider login: %d %s", res.status, res.body)
	}
	body := res.json(t)
	user := body["user"].(map[string]any)
	c := jwtClaims(t, body["token"].(string))
	if user["email"] != "bob@example.test" || user["verified"] != true || c["sub"] != user["id"] ||
		c["applicationId"] != forumsApp || c["authenticationType"] != "OPENID_CONNECT" || body["refreshToken"] == nil {
		t.Fatalf("login response %v claims %v", body, c)
	}
	again := idpLogin(down, upstreamCode(t, up, "bob@example.test")).json(t)
	if again["user"].(map[string]any)["id"] != user["id"] {
		t.Fatal("a second login made a second user")
	}
	if r := idpLogin(down, "not-a-code"); r.status != 400 || !strings.Contains(string(r.body), "ExternalAuthenticationException") {
		t.Fatalf("bad code: %d %s", r.status, r.body)
	}
}

// TestIdentityProviderLinking: LinkByEmail links to the existing user with
// the verified email; an unverified upstream email is never linked to an
// existing account; LinkByEmailForExistingUser and Disabled refuse unknown
// accounts with 404.
func TestIdentityProviderLinking(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true}, upstreamUser{"ALICE2@example.test", false}, upstreamUser{"carol@example.test", true})
	must(t, down.Store.CreateUser(context.Background(), storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000000b2", TenantID: tenantID,
		Active: true, Email: "alice2@example.test"}))
	federate(t, down, up, "LinkByEmail")
	if r := idpLogin(down, upstreamCode(t, up, aliceEmail)); r.status != 200 || r.json(t)["user"].(map[string]any)["id"] != aliceID {
		t.Fatalf("link to alice: %d %s", r.status, r.body)
	}
	if r := idpLogin(down, upstreamCode(t, up, "ALICE2@example.test")); r.status != 400 || !strings.Contains(string(r.body), "IdentityProviderLinkRefused") {
		t.Fatalf("unverified email linked: %d %s", r.status, r.body)
	}
	for _, strategy := range []string{"LinkByEmailForExistingUser", "Disabled"} {
		res := down.do(call{method: "PATCH", path: "/api/identity-provider/" + idpID, hdr: map[string]string{"Authorization": apiKey},
			body: `{"identityProvider":{"linkingStrategy":"` + strategy + `"}}`})
		if res.status != 200 {
			t.Fatalf("patch: %d %s", res.status, res.body)
		}
		if r := idpLogin(down, upstreamCode(t, up, "carol@example.test")); r.status != 404 {
			t.Fatalf("%s, unknown account: %d %s", strategy, r.status, r.body)
		}
	}
	// Disabled still accepts an existing link (alice's).
	if r := idpLogin(down, upstreamCode(t, up, aliceEmail)); r.status != 200 {
		t.Fatalf("Disabled with a link: %d %s", r.status, r.body)
	}
}

var buttonRe = regexp.MustCompile(`<a class="button secondary" href="([^"]+)">Sign in with Upstream</a>`)

// TestHostedSignInWithProvider: the hosted login page offers "Sign in with
// Upstream"; the button leads through the upstream's own login page and
// back, and the client gets a code for the federated user. A callback
// whose state was not issued here is refused.
func TestHostedSignInWithProvider(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	verifier, challenge := pkce("federated-")
	b := newBrowser(down)
	callback, q := signInWithUpstream(t, b, down, up, "dave@example.test", challenge)
	id := idTokenClaims(t, down.exchange(forumsApp, q.Get("code"), forumsCallback, verifier))
	if id["email"] != "dave@example.test" || id["sub"] == aliceID {
		t.Fatalf("id token %v", id)
	}
	// Replaying the callback (state now spent, cookie cleared) is refused.
	if r := b.get(callback); r.status != 400 || r.header.Get("Location") != "" {
		t.Fatalf("replayed callback: %d %q", r.status, r.header.Get("Location"))
	}
	// A callback in a browser that did not start the flow.
	if r := newBrowser(down).get(callback); r.status != 400 {
		t.Fatalf("foreign callback: %d", r.status)
	}
}

// signInWithUpstream signs email in on down's hosted login page with its
// "Sign in with Upstream" button, through up's login page, and returns the
// upstream's callback URL and the final redirect's query.
func signInWithUpstream(t *testing.T, b *browser, down, up *stack, email, challenge string) (string, url.Values) {
	t.Helper()
	callback := upstreamCallback(t, b, down, up, email, challenge)
	q := redirectQuery(t, b.get(callback), forumsCallback)
	if q.Get("state") != "st-1" || q.Get("iss") != down.URL {
		t.Fatalf("final redirect %v", q)
	}
	return callback, q
}

// upstreamCallback takes b from down's hosted login page through the "Sign
// in with Upstream" button and up's login page as email, and returns the
// callback URL the upstream sends the browser back to (not yet followed).
func upstreamCallback(t *testing.T, b *browser, down, up *stack, email, challenge string) string {
	t.Helper()
	page := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode())
	m := buttonRe.FindStringSubmatch(string(page.body))
	if m == nil {
		t.Fatalf("no provider button on the login page:\n%s", page.body)
	}
	toUpstream := b.get(html.UnescapeString(m[1]))
	loc := toUpstream.header.Get("Location")
	if toUpstream.status != 302 || !strings.HasPrefix(loc, up.URL+"/oauth2/authorize?") || !strings.Contains(loc, "code_challenge_method=S256") {
		t.Fatalf("to the upstream: %d %q", toUpstream.status, loc)
	}
	upPage := b.get(loc)
	v := formFields(t, upPage)
	v.Set("loginId", email)
	v.Set("password", alicePass)
	back := b.send(http.MethodPost, up.URL+"/oauth2/authorize", v.Encode(), map[string]string{"Origin": up.URL})
	callback := back.header.Get("Location")
	if !strings.HasPrefix(callback, down.URL+"/oauth2/callback?") {
		t.Fatalf("upstream answer %d %q", back.status, callback)
	}
	return callback
}

// TestIdentityProviderLoginPrevented (adversarial): while a user action
// prevents alice's login, a login through the identity provider is refused
// as her password login is: POST /api/identity-provider/login answers
// FusionAuth's 409 with the action and no token or cookie, and "Sign in
// with Upstream" on the hosted page (like the page's password form) sends
// the browser back with access_denied/login_prevented and no code. None of
// them records a login or leaves a session. (internal/auth
// TestFederatedLoginPrevented: a lock committed between the login's read
// and its write is refused the same way.)
func TestIdentityProviderLoginPrevented(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	if r := idpLogin(down, upstreamCode(t, up, aliceEmail)); r.status != 200 {
		t.Fatalf("link to alice: %d %s", r.status, r.body)
	}
	down.Clock.Advance(time.Minute) // a later login would write a later lastLoginInstant
	down.apiOK("POST", "/api/user-action/"+lockActionID, map[string]any{"userAction": map[string]any{"name": "Lock", "preventLogin": true, "temporal": true}})
	down.apiOK("POST", "/api/user/action", map[string]any{"action": map[string]any{"actioneeUserId": aliceID,
		"userActionId": lockActionID, "expiry": down.Clock.Now().Add(time.Hour).UnixMilli()}})
	ctx := context.Background()
	traces := func() (int, int, int64) {
		live, err := down.Store.ListRefreshTokens(ctx, aliceID)
		must(t, err)
		logins, _ := down.apiOK("GET", "/api/user/recent-login?userId="+aliceID, nil)["logins"].([]any)
		u, err := down.Store.GetUser(ctx, aliceID)
		must(t, err)
		return len(live), len(logins), u.LastLoginInstant
	}
	sessions, logins, last := traces()

	res := idpLogin(down, upstreamCode(t, up, aliceEmail))
	if res.status != 409 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("identity provider login while locked: %d %s, cookies %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	body := res.json(t)
	if actions, _ := body["actions"].([]any); len(actions) != 1 || body["token"] != nil || body["refreshToken"] != nil {
		t.Fatalf("409 body: %s", res.body)
	}

	_, challenge := pkce("federated-locked-")
	if _, q := signInWithUpstream(t, newBrowser(down), down, up, aliceEmail, challenge); q.Get("code") != "" ||
		q.Get("error") != "access_denied" || q.Get("error_reason") != "login_prevented" {
		t.Fatalf("hosted sign-in with the provider while locked: %v", q)
	}
	b := newBrowser(down)
	q := redirectQuery(t, b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()),
		aliceEmail, alicePass), forumsCallback)
	if q.Get("code") != "" || q.Get("error") != "access_denied" || q.Get("error_reason") != "login_prevented" {
		t.Fatalf("hosted password login while locked: %v", q)
	}
	if s, l, at := traces(); s != sessions || l != logins || at != last {
		t.Fatalf("refused logins left traces: sessions %d→%d, login records %d→%d, lastLoginInstant %d→%d", sessions, s, logins, l, last, at)
	}
}
