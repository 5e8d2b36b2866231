package server_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The admin console (console*.go) on the full stack: an admin created the
// way `latchkey admin` does, signing in through the form.
const (
	rootEmail = "root@example.test"
	rootPass  = "console admin password"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleClient is a signed-in (or not) console browser: its cookie and
// the Origin its forms carry.
type consoleClient struct {
	s      *stack
	cookie string
	origin string
}

// newConsole creates the first admin and returns a client for the stack's
// own origin, not signed in.
func newConsole(t *testing.T) (*stack, *consoleClient) {
	// The default tenant's policy (newStack's tenant leaves it out): a lock
	// ends the user's sessions.
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.JWTConfiguration.RefreshTokenRevocationPolicy.OnLoginPrevented = true
	})
	return s, consoleOn(t, s)
}

// consoleOn creates the first admin on s and returns a client for its own
// origin, not signed in.
func consoleOn(t *testing.T, s *stack) *consoleClient {
	t.Helper()
	_, err := s.Srv.Manage.Console.CreateAdmin(context.Background(), rootEmail, rootPass)
	must(t, err)
	return &consoleClient{s: s, origin: s.URL}
}

// newAdminConsole is newConsole with the first admin signed in, and the
// form token of page ("" for none): the setup of every console form test.
func newAdminConsole(t *testing.T, page string) (*stack, *consoleClient, string) {
	t.Helper()
	s, c := newConsole(t)
	c.signInAdmin(t)
	if page == "" {
		return s, c, ""
	}
	return s, c, csrf(t, c.get(page))
}

// signInAdmin signs the first admin in on c.
func (c *consoleClient) signInAdmin(t *testing.T) {
	t.Helper()
	wantConsoleStatus(t, "admin signs in", c.signIn(t, rootEmail, rootPass), 303)
}

// refusals posts forms as the two strangers every console form must
// refuse: another site carrying the admin's own cookie and token, and a
// former admin with a live session and a token of their own.
type refusals struct {
	evil, former *consoleClient
	formerToken  string
}

func newRefusals(t *testing.T, s *stack, admin *consoleClient) refusals {
	t.Helper()
	former, token := formerAdmin(t, s)
	return refusals{evil: &consoleClient{s: s, cookie: admin.cookie, origin: "https://evil.example.test"}, former: former, formerToken: token}
}

// refused posts form to path as each stranger: both get the 403 page, and
// unchanged (which reads the record back) runs after each.
func (r refusals) refused(t *testing.T, path string, form url.Values, unchanged func()) {
	t.Helper()
	wantConsoleStatus(t, "cross-site "+path, r.evil.post(path, form), 403)
	unchanged()
	theirs := url.Values{}
	for k, v := range form {
		theirs[k] = v
	}
	theirs.Set("csrf", r.formerToken)
	wantConsoleStatus(t, "a former admin's "+path, r.former.post(path, theirs), 403)
	unchanged()
}

// formerAdmin signs in a second admin, keeps a page's form token, then
// takes their admin role away: a live console session of a non-admin, the
// strongest position a non-admin can post a console form from.
func formerAdmin(t *testing.T, s *stack) (*consoleClient, string) {
	t.Helper()
	ctx := context.Background()
	const email, pass = "deputy@example.test", "deputy console password"
	deputy, err := s.Srv.Manage.Console.CreateAdmin(ctx, email, pass)
	must(t, err)
	c := &consoleClient{s: s, origin: s.URL}
	wantConsoleStatus(t, "deputy signs in", c.signIn(t, email, pass), 303)
	token := csrf(t, c.get("/admin/users"))
	_, err = s.Srv.Manage.Registrations.Update(ctx, manage.Scope{}, deputy.ID, manage.AdminApplicationID,
		func(r storage.Registration) (storage.Registration, error) { r.Roles = nil; return r, nil })
	must(t, err)
	wantConsoleStatus(t, "former admin reads users", c.get("/admin/users"), 403)
	return c, token
}

func (c *consoleClient) get(path string) result {
	return c.s.do(call{method: "GET", path: path, hdr: map[string]string{"Cookie": c.cookie}})
}

func (c *consoleClient) post(path string, form url.Values) result {
	return c.s.do(call{method: "POST", path: path, body: form.Encode(), hdr: map[string]string{"Cookie": c.cookie,
		"Origin": c.origin, "Content-Type": "application/x-www-form-urlencoded"}})
}

// signIn posts the sign-in form and keeps the session cookie.
func (c *consoleClient) signIn(t *testing.T, loginID, password string) result {
	t.Helper()
	res := c.post("/admin/login", url.Values{"loginId": {loginID}, "password": {password}})
	if v := cookieValue(res, "latchkey_console"); v != "" {
		c.cookie = "latchkey_console=" + v
	}
	return res
}

// csrf reads the form token of a page.
func csrf(t *testing.T, res result) string {
	t.Helper()
	m := csrfInput.FindSubmatch(res.body)
	if m == nil {
		t.Fatalf("no csrf field in %d page:\n%s", res.status, res.body)
	}
	return string(m[1])
}

var revisionInput = regexp.MustCompile(`name="revision" value="([^"]*)"`)

// pageRevision reads the revision a page's edit form was rendered from
// (the hidden field every form that saves a configuration record carries).
func pageRevision(t *testing.T, res result) string {
	t.Helper()
	m := revisionInput.FindSubmatch(res.body)
	if m == nil {
		t.Fatalf("no revision field in %d page:\n%s", res.status, res.body)
	}
	return string(m[1])
}

func wantConsoleStatus(t *testing.T, what string, res result, want int) {
	t.Helper()
	if res.status != want {
		t.Fatalf("%s = %d, want %d:\n%s", what, res.status, want, res.body)
	}
}

// wantFieldError wants res refused with 400 and its message next to field
// (the element id="<field>-error" the field's aria-describedby names).
func wantFieldError(t *testing.T, what string, res result, field string) {
	t.Helper()
	wantConsoleStatus(t, what, res, 400)
	if !strings.Contains(string(res.body), `id="`+field+`-error"`) {
		t.Fatalf("%s: no message next to %s:\n%s", what, field, res.body)
	}
}

// refuseField posts form to path with field set to bad (the rest as
// given) and wants it refused next to that field.
func (c *consoleClient) refuseField(t *testing.T, path string, form url.Values, field, bad string) {
	t.Helper()
	f := maps.Clone(form)
	f.Set(field, bad)
	wantFieldError(t, fmt.Sprintf("%s with %s=%q", path, field, bad), c.post(path, f), field)
}

// TestConsoleSignInFindLockUnlock: the admin signs in, finds alice by part
// of her email, locks her (her session ends, her next login is refused
// with FusionAuth's 409, the change is audited with the admin as actor),
// unlocks her (she logs in again).
func TestConsoleSignInFindLockUnlock(t *testing.T) {
	s, c := newConsole(t)
	page := c.get("/admin/login")
	wantConsoleStatus(t, "GET /admin/login", page, 200)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP %q: want default-src 'none' and no script", csp)
	}
	res := c.signIn(t, rootEmail, rootPass)
	wantConsoleStatus(t, "sign in", res, 303)
	setCookie := res.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/admin"} {
		if !strings.Contains(setCookie, attr) {
			t.Fatalf("console cookie %q lacks %s", setCookie, attr)
		}
	}
	found := c.get("/admin/users?q=" + url.QueryEscape("ice@example.te"))
	wantConsoleStatus(t, "search", found, 200)
	if !strings.Contains(string(found.body), "/admin/users/"+aliceID) {
		t.Fatalf("alice not found by part of her email:\n%s", found.body)
	}

	session := s.login(storeApp, nil)
	wantConsoleStatus(t, "alice's login", session, 200)
	refresh := session.json(t)["refreshToken"].(string)

	userPage := c.get("/admin/users/" + aliceID)
	wantConsoleStatus(t, "user page", userPage, 200)
	token := csrf(t, userPage)
	wantConsoleStatus(t, "lock without confirming", c.post("/admin/users/"+aliceID+"/lock", url.Values{"csrf": {token}}), 400)
	wantConsoleStatus(t, "alice's login before the lock", s.login(storeApp, nil), 200)
	locked := c.post("/admin/users/"+aliceID+"/lock", url.Values{"csrf": {token}, "confirm": {"yes"}, "duration": {"never"}})
	wantConsoleStatus(t, "lock", locked, 303)
	wantConsoleStatus(t, "alice's login while locked", s.login(storeApp, nil), 409)
	wantConsoleStatus(t, "alice's refresh while locked", s.do(call{method: "POST", path: "/api/jwt/refresh",
		body: `{"refreshToken":"` + refresh + `"}`}), 404)
	live, err := s.Store.ListRefreshTokens(context.Background(), aliceID)
	must(t, err)
	for _, rt := range live {
		if rt.RevokedAt.IsZero() {
			t.Fatalf("session %s of alice survived the lock", rt.ID)
		}
	}
	entries, _, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{User: rootEmail, Limit: 10})
	must(t, err)
	if len(entries) == 0 || !strings.Contains(entries[0].Message, aliceID) {
		t.Fatalf("no audit entry by %s about alice: %+v", rootEmail, entries)
	}

	wantConsoleStatus(t, "unlock", c.post("/admin/users/"+aliceID+"/unlock", url.Values{"csrf": {token}}), 303)
	wantConsoleStatus(t, "alice's login after unlock", s.login(storeApp, nil), 200)
}

// aliceCanLogIn fails the test unless alice still logs in (nothing the
// refused request asked for happened).
func aliceCanLogIn(t *testing.T, s *stack) {
	t.Helper()
	wantConsoleStatus(t, "alice's login", s.login(storeApp, nil), 200)
}

// TestConsoleRefusesNonAdmins: a user who is not an admin gets the 403
// page and no console cookie, whether unregistered or registered to the
// admin application without the admin role (whose login's session is
// ended at once); an admin whose role is removed is refused on the next
// request, and their forms change nothing.
func TestConsoleRefusesNonAdmins(t *testing.T) {
	s, c := newConsole(t)
	ctx := context.Background()
	alice := &consoleClient{s: s, origin: s.URL}
	res := alice.signIn(t, aliceEmail, alicePass)
	wantConsoleStatus(t, "unregistered alice signs in", res, 403)
	if alice.cookie != "" {
		t.Fatal("a non-admin got a console cookie")
	}
	must(t, s.Store.CreateRegistration(ctx, storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c9",
		ApplicationID: manage.AdminApplicationID, UserID: aliceID, Roles: []string{}}))
	res = alice.signIn(t, aliceEmail, alicePass)
	wantConsoleStatus(t, "registered alice without the role signs in", res, 403)
	if alice.cookie != "" {
		t.Fatal("a non-admin got a console cookie")
	}
	tokens, err := s.Store.ListRefreshTokens(ctx, aliceID)
	must(t, err)
	for _, rt := range tokens {
		if rt.ApplicationID == manage.AdminApplicationID && rt.RevokedAt.IsZero() {
			t.Fatal("the non-admin's console login left a live session")
		}
	}
	wantConsoleStatus(t, "unsigned GET /admin/users", alice.get("/admin/users"), 303)
	// The admin application's tokens are not to be had through the API
	// without a key, even with the admin's own password.
	wantConsoleStatus(t, "admin login through /api/login without a key", s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + rootEmail + `","password":"` + rootPass + `","applicationId":"` + manage.AdminApplicationID + `"}`}), 401)

	c.signInAdmin(t)
	token := csrf(t, c.get("/admin/users/"+aliceID))
	root, err := s.Srv.Manage.Users.Find(ctx, manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	_, err = s.Srv.Manage.Registrations.Update(ctx, manage.Scope{}, root.ID, manage.AdminApplicationID,
		func(r storage.Registration) (storage.Registration, error) { r.Roles = nil; return r, nil })
	must(t, err)
	wantConsoleStatus(t, "former admin reads users", c.get("/admin/users"), 403)
	wantConsoleStatus(t, "former admin locks alice", c.post("/admin/users/"+aliceID+"/lock",
		url.Values{"csrf": {token}, "confirm": {"yes"}}), 403)
	aliceCanLogIn(t, s)
}

// TestConsoleRefusesCrossSiteForms: a console form posted from another
// origin, with no origin at all, or without the session's CSRF token is
// refused with the 403 page and changes nothing; so is a sign-in posted
// cross-site.
func TestConsoleRefusesCrossSiteForms(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	lock := url.Values{"csrf": {token}, "confirm": {"yes"}, "duration": {"never"}}
	for _, tc := range []struct {
		name   string
		origin string
		form   url.Values
	}{
		{"another site", "https://evil.example.test", lock},
		{"a sibling port", strings.Replace(s.URL, "127.0.0.1", "localhost", 1), lock},
		{"the null origin", "null", lock},
		{"no origin", "", lock},
		{"no csrf token", s.URL, url.Values{"confirm": {"yes"}}},
		{"another session's token", s.URL, url.Values{"csrf": {"AAAA" + token[4:]}, "confirm": {"yes"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := &consoleClient{s: s, cookie: c.cookie, origin: tc.origin}
			wantConsoleStatus(t, "forged lock", forged.post("/admin/users/"+aliceID+"/lock", tc.form), 403)
			aliceCanLogIn(t, s)
		})
	}
	evil := &consoleClient{s: s, origin: "https://evil.example.test"}
	wantConsoleStatus(t, "cross-site sign-in", evil.signIn(t, rootEmail, rootPass), 403)
	if evil.cookie != "" {
		t.Fatal("a cross-site sign-in set the console cookie")
	}
}

// TestConsoleEditsRefreshPolicy: the admin sets Store's token lifetimes
// and refresh policy; alice's next login gets them. A bad value is shown
// next to its field and nothing is saved.
func TestConsoleEditsRefreshPolicy(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/applications/"+storeApp)
	policy := appFormOf(t, s, storeApp, token)
	for k, v := range (url.Values{"enabled": {"on"}, "ttl": {"120"}, "generateRefresh": {"on"}, "allowRefresh": {"on"},
		"usagePolicy": {"Reusable"}, "grace": {"0"}, "expirationPolicy": {"Fixed"}, "refreshTTL": {"5"}, "maxTTL": {"5"}}) {
		policy[k] = v
	}
	bad := url.Values{}
	for k, v := range policy {
		bad[k] = v
	}
	bad.Set("ttl", "-5")
	refused := c.post("/admin/applications/"+storeApp, bad)
	wantFieldError(t, "a negative lifetime", refused, "ttl")
	app, err := s.Store.GetApplication(context.Background(), storeApp)
	must(t, err)
	if app.JWTConfiguration.Enabled {
		t.Fatal("a refused form changed the application")
	}

	wantConsoleStatus(t, "save", c.post("/admin/applications/"+storeApp, policy), 303)
	login := s.login(storeApp, nil)
	wantConsoleStatus(t, "alice's login", login, 200)
	body := login.json(t)
	if got, want := int64(body["tokenExpirationInstant"].(float64)), s.Clock.Now().Add(120e9).UnixMilli(); got != want {
		t.Fatalf("access token expires at %d, want %d (the 120 s set in the console)", got, want)
	}
	refresh := body["refreshToken"].(string)
	again := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + refresh + `"}`})
	wantConsoleStatus(t, "refresh", again, 200)
	if got := again.json(t)["refreshToken"]; got != refresh {
		t.Fatalf("refresh rotated the token (%v) under the Reusable policy set in the console", got)
	}
}

// TestConsoleRotatesSigningKey: the keys page lists the published key; a
// rotation publishes a second one, shows in the JWKS and in the audit log
// page with the admin as actor.
func TestConsoleRotatesSigningKey(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	before := c.get("/admin/keys")
	wantConsoleStatus(t, "keys page", before, 200)
	token := csrf(t, before)
	wantConsoleStatus(t, "rotate unconfirmed", c.post("/admin/keys/rotate", url.Values{"csrf": {token}, "algorithm": {"ES256"}}), 400)
	wantConsoleStatus(t, "rotate", c.post("/admin/keys/rotate", url.Values{"csrf": {token}, "algorithm": {"ES256"}, "confirm": {"yes"}}), 303)
	jwks := s.do(call{method: "GET", path: "/.well-known/jwks.json"})
	keys := jwks.json(t)["keys"].([]any)
	if len(keys) < 2 {
		t.Fatalf("JWKS after the rotation has %d keys, want the old and the new", len(keys))
	}
	after := string(c.get("/admin/keys").body)
	for _, k := range keys {
		if kid := k.(map[string]any)["kid"].(string); !strings.Contains(after, kid) {
			t.Fatalf("published key %s missing from the keys page", kid)
		}
	}
	audit := c.get("/admin/audit?user=" + url.QueryEscape(rootEmail))
	wantConsoleStatus(t, "audit page", audit, 200)
	if !strings.Contains(string(audit.body), "Rotated the ES256 signing key") {
		t.Fatalf("the rotation is not in the audit log page:\n%s", audit.body)
	}
}

// TestConsoleEndsOneSessionAndMailsAReset: the admin ends one of alice's
// two sessions (the other still refreshes; another user's session id is
// not found and nothing ends), and mails her a password reset link.
func TestConsoleEndsOneSessionAndMailsAReset(t *testing.T) {
	ms := newMailStack(t)
	s := ms.stack
	c := consoleOn(t, s)
	c.signInAdmin(t)
	first, second := s.login(storeApp, nil).json(t), s.login(storeApp, nil).json(t)
	token := csrf(t, c.get("/admin/users/"+aliceID))

	root, err := s.Srv.Manage.Users.Find(context.Background(), manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	rootSessions, err := s.Store.ListRefreshTokens(context.Background(), root.ID)
	must(t, err)
	wantConsoleStatus(t, "end another user's session through alice's page", c.post("/admin/users/"+aliceID+"/end-session",
		url.Values{"csrf": {token}, "confirm": {"yes"}, "session": {rootSessions[0].ID}}), 404)
	wantConsoleStatus(t, "the admin's own session still works", c.get("/admin/users"), 200)

	refresh := func(v map[string]any) int {
		return s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + v["refreshToken"].(string) + `"}`}).status
	}
	unconfirmed := c.post("/admin/users/"+aliceID+"/end-session", url.Values{"csrf": {token}, "session": {first["refreshTokenId"].(string)}})
	wantConsoleStatus(t, "end a session without confirming", unconfirmed, 400)
	if !strings.Contains(string(unconfirmed.body), `id="end-`+first["refreshTokenId"].(string)+`-error"`) {
		t.Fatalf("no message next to the session's confirmation box:\n%s", unconfirmed.body)
	}
	if got := s.liveSessions(aliceID); got != 2 {
		t.Fatalf("alice has %d live sessions after an unconfirmed end-session, want 2", got)
	}
	wantConsoleStatus(t, "end alice's first session", c.post("/admin/users/"+aliceID+"/end-session",
		url.Values{"csrf": {token}, "confirm": {"yes"}, "session": {first["refreshTokenId"].(string)}}), 303)
	if got := refresh(first); got != 404 {
		t.Fatalf("the ended session refreshes: %d", got)
	}
	if got := refresh(second); got != 200 {
		t.Fatalf("the other session no longer refreshes: %d", got)
	}

	wantConsoleStatus(t, "send a reset", c.post("/admin/users/"+aliceID+"/reset", url.Values{"csrf": {token}}), 303)
	if m := ms.mailTo(aliceEmail, 1)[0]; len(m.Links) == 0 {
		t.Fatalf("the reset mail has no link: %+v", m)
	}
}

// TestConsoleEditsTenantRules: a longer minimum password length set in the
// console refuses a shorter password at the next user creation; an
// impossible maximum is shown next to its field and nothing is saved.
func TestConsoleEditsTenantRules(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/tenant")
	form := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get("/admin/tenant"))}, "minLength": {"20"}, "maxLength": {"256"}, "lockout": {"on"}, "attempts": {"3"},
		"resetSeconds": {"60"}, "duration": {"5"}, "durationUnit": {"MINUTES"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("maxLength", "999")
	refused := c.post("/admin/tenant", bad)
	wantFieldError(t, "an impossible maximum", refused, "maxLength")
	create := func(email string) int {
		return s.api("POST", "/api/user", map[string]any{"user": map[string]any{"email": email, "password": "fifteen chars.."}}).status
	}
	tn, err := s.Store.GetTenant(context.Background(), tenantID)
	must(t, err)
	if tn.PasswordValidationRules.MaxLength == 999 || tn.PasswordValidationRules.MinLength == 20 {
		t.Fatal("a refused form changed the tenant")
	}
	if got := create("before@example.test"); got != 200 {
		t.Fatalf("a 15-character password before the change: %d, want 200", got)
	}
	wantConsoleStatus(t, "save", c.post("/admin/tenant", form), 303)
	if got := create("after@example.test"); got != 400 {
		t.Fatalf("a 15-character password after minLength 20: %d, want 400", got)
	}
}

var twoFactorIDInput = regexp.MustCompile(`name="twoFactorId" value="([^"]+)"`)

// TestConsoleTwoFactorSignIn: an admin with an authenticator app is asked
// for the code after the password; a wrong code gives no session, the
// right one does, and the pending sign-in cannot be used twice.
func TestConsoleTwoFactorSignIn(t *testing.T) {
	s, c := newConsole(t)
	root, err := s.Srv.Manage.Users.Find(context.Background(), manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	s.apiOK("POST", "/api/user/two-factor/"+root.ID, map[string]any{"method": "authenticator",
		"secret": totpTestSecret, "code": s.totp(totpTestSecret)})
	s.Clock.Advance(30 * time.Second)

	step := c.signIn(t, rootEmail, rootPass)
	wantConsoleStatus(t, "password step", step, 200)
	if c.cookie != "" {
		t.Fatal("the password alone gave a console session")
	}
	m := twoFactorIDInput.FindSubmatch(step.body)
	if m == nil {
		t.Fatalf("no two-factor form:\n%s", step.body)
	}
	id := string(m[1])
	wrong := c.post("/admin/login/two-factor", url.Values{"twoFactorId": {id}, "code": {"000000"}})
	wantConsoleStatus(t, "wrong code", wrong, 400)
	if cookieValue(wrong, "latchkey_console") != "" {
		t.Fatal("a wrong code gave a console session")
	}
	right := c.post("/admin/login/two-factor", url.Values{"twoFactorId": {id}, "code": {s.totp(totpTestSecret)}})
	wantConsoleStatus(t, "right code", right, 303)
	c.cookie = "latchkey_console=" + cookieValue(right, "latchkey_console")
	wantConsoleStatus(t, "the console after two factors", c.get("/admin/users"), 200)
	s.Clock.Advance(30 * time.Second)
	again := c.post("/admin/login/two-factor", url.Values{"twoFactorId": {id}, "code": {s.totp(totpTestSecret)}})
	wantConsoleStatus(t, "the pending sign-in used twice", again, 400)
	if cookieValue(again, "latchkey_console") != "" {
		t.Fatal("a used two-factor id gave a second session")
	}
}

// TestConsoleMakesAnotherAdmin: the admin registers alice to the console's
// application and ticks her admin role; she then signs in to the console.
// Taking away one's own admin role is refused and changes nothing.
func TestConsoleMakesAnotherAdmin(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/"+aliceID)
	wantConsoleStatus(t, "register alice", c.post("/admin/users/"+aliceID+"/register",
		url.Values{"csrf": {token}, "application": {manage.AdminApplicationID}}), 303)
	alice := &consoleClient{s: s, origin: s.URL}
	wantConsoleStatus(t, "alice registered without the role signs in", alice.signIn(t, aliceEmail, alicePass), 403)
	wantConsoleStatus(t, "give alice the admin role", c.post("/admin/users/"+aliceID+"/roles",
		url.Values{"csrf": {token}, "application": {manage.AdminApplicationID}, "role": {"admin"}}), 303)
	wantConsoleStatus(t, "alice signs in as an admin", alice.signIn(t, aliceEmail, alicePass), 303)
	wantConsoleStatus(t, "alice uses the console", alice.get("/admin/users"), 200)

	root, err := s.Srv.Manage.Users.Find(context.Background(), manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	wantConsoleStatus(t, "the admin drops their own admin role", c.post("/admin/users/"+root.ID+"/roles",
		url.Values{"csrf": {token}, "application": {manage.AdminApplicationID}}), 400)
	wantConsoleStatus(t, "the admin still uses the console", c.get("/admin/users"), 200)
}

// TestConsoleGroupRolesReachTokens: a group made in the console, given a
// role of Forums, puts that role in a member's Forums token; removing the
// member takes it away at the next login. A group without a name is
// refused next to the field.
func TestConsoleGroupRolesReachTokens(t *testing.T) {
	s, c := newConsole(t)
	s.apiOK("POST", "/api/user/registration/"+aliceID, map[string]any{"registration": map[string]any{"applicationId": forumsApp}})
	roles := func() []any {
		res := s.login(forumsApp, nil)
		wantConsoleStatus(t, "alice's Forums login", res, 200)
		r, _ := s.validate(res.json(t)["token"].(string))["roles"].([]any)
		return r
	}
	if r := roles(); len(r) != 0 {
		t.Fatalf("alice has Forums roles %v before the group", r)
	}
	c.signInAdmin(t)
	token := csrf(t, c.get("/admin/groups"))
	blank := c.post("/admin/groups", url.Values{"csrf": {token}, "name": {" "}})
	wantFieldError(t, "a nameless group", blank, "name")
	created := c.post("/admin/groups", url.Values{"csrf": {token}, "name": {"Moderators"}})
	wantConsoleStatus(t, "create", created, 303)
	group := strings.TrimPrefix(strings.SplitN(created.header.Get("Location"), "?", 2)[0], "/admin/groups/")
	app, err := s.Store.GetApplication(context.Background(), forumsApp)
	must(t, err)
	wantConsoleStatus(t, "give the group Forums' role", c.post("/admin/groups/"+group+"/roles",
		url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get("/admin/groups/"+group))}, "role": {app.Roles[0].ID}}), 303)
	wantConsoleStatus(t, "add alice", c.post("/admin/groups/"+group+"/add", url.Values{"csrf": {token}, "email": {aliceEmail}}), 303)
	if r := roles(); len(r) != 1 || r[0] != app.Roles[0].Name {
		t.Fatalf("alice's Forums roles as a member: %v", r)
	}
	page := c.get("/admin/groups/" + group)
	if !strings.Contains(string(page.body), aliceEmail) {
		t.Fatalf("the group page does not list alice:\n%s", page.body)
	}
	wantConsoleStatus(t, "remove alice", c.post("/admin/groups/"+group+"/remove", url.Values{"csrf": {token}, "user": {aliceID}}), 303)
	if r := roles(); len(r) != 0 {
		t.Fatalf("alice keeps Forums roles %v after leaving the group", r)
	}
}

var createdKey = regexp.MustCompile(`id="created-key" type="text" readonly value="([^"]+)"`)

// TestConsoleCreatesAndDeletesAPIKey: a key made in the console for GET
// /api/user calls that endpoint with that method and nothing else, and its value is shown
// once; a form that names no endpoints (or every one and some) is refused;
// deleting needs the box ticked (a cross-site or non-admin delete leaves the
// key working), and the deleted key is refused at once.
func TestConsoleCreatesAndDeletesAPIKey(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/api-keys")
	wantConsoleStatus(t, "no endpoints", c.post("/admin/api-keys", url.Values{"csrf": {token}}), 400)
	wantConsoleStatus(t, "every endpoint and one", c.post("/admin/api-keys",
		url.Values{"csrf": {token}, "all": {"yes"}, "perm": {"/api/user GET"}}), 400)
	created := c.post("/admin/api-keys", url.Values{"csrf": {token}, "description": {"user reader"}, "perm": {"/api/user GET"}})
	wantConsoleStatus(t, "create", created, 200)
	m := createdKey.FindSubmatch(created.body)
	if m == nil {
		t.Fatalf("the new key's value is not shown:\n%s", created.body)
	}
	key := string(m[1])
	if strings.Contains(string(c.get("/admin/api-keys").body), key) {
		t.Fatal("the key's value is shown again")
	}
	wantConsoleStatus(t, "the key reads users", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 200)
	wantConsoleStatus(t, "the key reads applications", s.api("GET", "/api/application", nil, "Authorization", key), 401)
	wantConsoleStatus(t, "the key changes a user", s.api("PATCH", "/api/user/"+aliceID,
		map[string]any{"user": map[string]any{"firstName": "Mallory"}}, "Authorization", key), 401)

	keys, err := s.Store.ListAPIKeys(context.Background())
	must(t, err)
	id := ""
	for _, k := range keys {
		if k.Description == "user reader" {
			id = k.ID
		}
	}
	wantConsoleStatus(t, "delete unconfirmed", c.post("/admin/api-keys/"+id+"/delete", url.Values{"csrf": {token}}), 400)
	wantConsoleStatus(t, "the key still works", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 200)
	newRefusals(t, s, c).refused(t, "/admin/api-keys/"+id+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}}, func() {
		wantConsoleStatus(t, "the key after a refused delete", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 200)
	})
	wantConsoleStatus(t, "delete", c.post("/admin/api-keys/"+id+"/delete", url.Values{"csrf": {token}, "confirm": {"yes"}}), 303)
	wantConsoleStatus(t, "the deleted key", s.api("GET", "/api/user/"+aliceID, nil, "Authorization", key), 401)
	entries, _, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{User: rootEmail, Message: "API key", Limit: 10})
	must(t, err)
	if len(entries) != 2 {
		t.Fatalf("audit entries of the admin about API keys: %+v, want the creation and the deletion", entries)
	}
}

// TestConsoleDashboardCountsLogins: the dashboard's logins chart counts
// the logins of the current hour (alice's three and the admin's sign-in)
// once the node has flushed its counts.
func TestConsoleDashboardCountsLogins(t *testing.T) {
	s, c := newConsole(t)
	for range 3 {
		wantConsoleStatus(t, "alice's login", s.login(storeApp, nil), 200)
	}
	c.signInAdmin(t)
	must(t, s.Srv.Tally.Flush(context.Background()))
	home := c.get("/admin/")
	wantConsoleStatus(t, "dashboard", home, 200)
	hour := s.Clock.Now().UTC().Format("15") + ":00"
	if want := "<tr><td>" + hour + "</td><td>4</td></tr>"; !strings.Contains(string(home.body), want) {
		t.Fatalf("the dashboard lacks %s:\n%s", want, home.body)
	}
}

// TestConsoleCreatesAndEditsUser: a user created in the console (a too
// short password is refused next to its field) logs in with that password;
// an edit to another user's email is refused next to the field and changes
// nothing; a name edit is saved.
func TestConsoleCreatesAndEditsUser(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users/new")
	form := url.Values{"csrf": {token}, "email": {"nova@example.test"}, "firstName": {"Nova"}, "password": {"short"}}
	short := c.post("/admin/users", form)
	wantConsoleStatus(t, "a short password", short, 400)
	if !strings.Contains(string(short.body), `id="password-error"`) || !strings.Contains(string(short.body), `value="nova@example.test"`) {
		t.Fatalf("the refusal is not next to the password, or the form lost its values:\n%s", short.body)
	}
	form.Set("password", "a long enough password")
	created := c.post("/admin/users", form)
	wantConsoleStatus(t, "create", created, 303)
	id := strings.TrimPrefix(strings.SplitN(created.header.Get("Location"), "?", 2)[0], "/admin/users/")
	login := s.do(call{method: "POST", path: "/api/login", hdr: map[string]string{"Authorization": apiKey},
		body: `{"loginId":"nova@example.test","password":"a long enough password"}`})
	wantConsoleStatus(t, "the new user's login", login, 200)

	dup := c.post("/admin/users/"+id+"/edit", url.Values{"csrf": {token}, "email": {aliceEmail}, "firstName": {"Nova"}})
	wantFieldError(t, "another user's email", dup, "email")
	wantConsoleStatus(t, "rename", c.post("/admin/users/"+id+"/edit", url.Values{"csrf": {token}, "email": {"nova@example.test"},
		"firstName": {"Nova"}, "lastName": {"Stellar"}}), 303)
	u, err := s.Store.GetUser(context.Background(), id)
	must(t, err)
	if u.Email != "nova@example.test" || u.LastName != "Stellar" {
		t.Fatalf("after the edits: %q %q", u.Email, u.LastName)
	}
}

// TestConsoleEditsOrigins: an origin added in the console may call
// latchkey with credentials at once; a value that is not an origin is
// refused next to the field and nothing changes.
func TestConsoleEditsOrigins(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	const site = "https://shop.example.test"
	allowed := func() string {
		res := s.do(call{method: "OPTIONS", path: "/api/jwt/refresh", hdr: map[string]string{"Origin": site,
			"Access-Control-Request-Method": "POST"}})
		return res.header.Get("Access-Control-Allow-Origin")
	}
	if got := allowed(); got != "" {
		t.Fatalf("%s is allowed before the edit: %q", site, got)
	}
	token := csrf(t, c.get("/admin/applications/"+storeApp))
	form := appFormOf(t, s, storeApp, token)
	form.Set("origins", storeSite+"\n"+"https://shop.example.test/path")
	bad := c.post("/admin/applications/"+storeApp, form)
	wantFieldError(t, "an origin with a path", bad, "origins")
	form.Set("origins", storeSite+"\n"+site)
	wantConsoleStatus(t, "save", c.post("/admin/applications/"+storeApp, form), 303)
	if got := allowed(); got != site {
		t.Fatalf("%s after the edit: Access-Control-Allow-Origin %q", site, got)
	}
}

// TestConsoleEditsEmailTemplate: the preview renders the form's template
// against sample data and saves nothing; a template that does not parse is
// refused next to its field and the stored one is unchanged; a good one
// is saved.
func TestConsoleEditsEmailTemplate(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	ts, err := s.Store.ListEmailTemplates(context.Background())
	must(t, err)
	tpl := ts[0]
	path := "/admin/email-templates/" + tpl.ID
	token := csrf(t, c.get(path))
	form := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get(path))}, "name": {tpl.Name}, "subject": {"Hello ${user.email}"},
		"html": {"<p>Hi ${user.email}</p>"}, "text": {"Hi ${user.email}"}}
	preview := url.Values{"preview": {"1"}}
	for k, v := range form {
		preview[k] = v
	}
	shown := c.post(path, preview)
	wantConsoleStatus(t, "preview", shown, 200)
	if !strings.Contains(string(shown.body), `id="preview-subject">Hello ada@example.com<`) || !strings.Contains(string(shown.body), "&lt;p&gt;Hi ada@example.com") {
		t.Fatalf("the preview is not rendered (escaped):\n%s", shown.body)
	}
	unchanged := func() {
		t.Helper()
		got, err := s.Store.GetEmailTemplate(context.Background(), tpl.ID)
		must(t, err)
		if got.DefaultSubject != tpl.DefaultSubject {
			t.Fatalf("the stored subject changed to %q", got.DefaultSubject)
		}
	}
	unchanged()
	broken := url.Values{}
	for k, v := range form {
		broken[k] = v
	}
	broken.Set("subject", "Hello ${user.email")
	refused := c.post(path, broken)
	wantFieldError(t, "a subject that does not parse", refused, "subject")
	unchanged()
	wantConsoleStatus(t, "save", c.post(path, form), 303)
	got, err := s.Store.GetEmailTemplate(context.Background(), tpl.ID)
	must(t, err)
	if got.DefaultSubject != "Hello ${user.email}" {
		t.Fatalf("saved subject %q", got.DefaultSubject)
	}
}

// TestConsoleKeepsItsOwnSessions: the console's own application cannot be
// set to issue no refresh tokens from the console (nobody could sign in
// again); the refusal is next to the field and nothing changes.
func TestConsoleKeepsItsOwnSessions(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	path := "/admin/applications/" + manage.AdminApplicationID
	token := csrf(t, c.get(path))
	res := c.post(path, url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get(path))}, "enabled": {"on"}, "ttl": {"300"}, "allowRefresh": {"on"},
		"usagePolicy": {"Reusable"}, "grace": {"0"}, "expirationPolicy": {"Fixed"}, "refreshTTL": {"480"}, "maxTTL": {"480"}})
	wantFieldError(t, "turn refresh tokens off", res, "generateRefresh")
	app, err := s.Store.GetApplication(context.Background(), manage.AdminApplicationID)
	must(t, err)
	if !app.LoginConfiguration.GenerateRefreshTokens {
		t.Fatal("the console's application stopped issuing refresh tokens")
	}
	other := &consoleClient{s: s, origin: s.URL}
	wantConsoleStatus(t, "a second sign-in", other.signIn(t, rootEmail, rootPass), 303)
}

// TestConsoleSessionEnds: signing out ends the session (the same cookie
// is sent to the sign-in page afterwards), and so does revoking the
// admin's sessions through the API, at the next click.
func TestConsoleSessionEnds(t *testing.T) {
	s, c, token := newAdminConsole(t, "/admin/users")
	wantConsoleStatus(t, "sign out", c.post("/admin/logout", url.Values{"csrf": {token}}), 303)
	if res := c.get("/admin/users"); res.status != 303 || res.header.Get("Location") != "/admin/login" {
		t.Fatalf("the signed-out cookie: %d to %q", res.status, res.header.Get("Location"))
	}

	wantConsoleStatus(t, "admin signs in again", c.signIn(t, rootEmail, rootPass), 303)
	wantConsoleStatus(t, "the console", c.get("/admin/users"), 200)
	root, err := s.Srv.Manage.Users.Find(context.Background(), manage.Scope{}, manage.UserQuery{Email: rootEmail})
	must(t, err)
	wantConsoleStatus(t, "revoke the admin's sessions", s.api("DELETE", "/api/jwt/refresh?userId="+root.ID, nil), 200)
	if res := c.get("/admin/users"); res.status != 303 {
		t.Fatalf("the revoked session still opens the console: %d", res.status)
	}
}

// TestConsoleEmailSecondFactor: an admin whose second factor is email
// codes asks the sign-in page for a code, gets it by mail (the real mail
// path) and signs in with it.
func TestConsoleEmailSecondFactor(t *testing.T) {
	ms := newMailStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Email: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	s := ms.stack
	_, err := s.Srv.Manage.Console.CreateAdmin(context.Background(), aliceEmail, "")
	must(t, err)
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	wantConsoleStatus(t, "send for enrolment", s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me,
		body: `{"method":"email","email":"` + aliceEmail + `"}`}), 200)
	wantConsoleStatus(t, "enrol email", s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me,
		body: `{"method":"email","email":"` + aliceEmail + `","code":"` + mailedCode(t, ms, 1) + `"}`}), 200)

	c := &consoleClient{s: s, origin: s.URL}
	step := c.signIn(t, aliceEmail, alicePass)
	wantConsoleStatus(t, "password step", step, 200)
	id := string(twoFactorIDInput.FindSubmatch(step.body)[1])
	method := regexp.MustCompile(`name="methodId" value="([^"]+)"`).FindSubmatch(step.body)
	if method == nil {
		t.Fatalf("no button to mail a code:\n%s", step.body)
	}
	wantConsoleStatus(t, "mail me a code", c.post("/admin/login/two-factor/send",
		url.Values{"twoFactorId": {id}, "methodId": {string(method[1])}}), 200)
	signed := c.post("/admin/login/two-factor", url.Values{"twoFactorId": {id}, "code": {mailedCode(t, ms, 2)}})
	wantConsoleStatus(t, "the mailed code", signed, 303)
	if cookieValue(signed, "latchkey_console") == "" {
		t.Fatal("no console session after the mailed code")
	}
}
