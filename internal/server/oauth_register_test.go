package server_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// registerOpen lets anyone sign up to the Store (the confidential code-flow
// client of newOAuthStack) with the hosted form: email login ids, the
// password typed twice, a required first name and an optional last name;
// default role "user" of two.
func registerOpen(apps map[string]*storage.Application, _ *storage.Tenant) {
	a := apps[storeApp]
	a.RegistrationConfiguration = storage.RegistrationConfiguration{Enabled: true, Type: "basic", LoginIDType: "email",
		ConfirmPassword: true, FirstName: storage.Requirable{Enabled: true, Required: true}, LastName: storage.Requirable{Enabled: true}}
	a.Roles = []storage.ApplicationRole{{ID: "r-user", Name: "user", IsDefault: true}, {ID: "r-admin", Name: "admin"}}
}

// noRateLimit turns the per-address limits of sign-up off (the refusal
// tables post more forms than one address may in an hour).
func noRateLimit(c *config.Config) { c.RateLimits = "sign-up=0/1m" }

var registerLinkRe = regexp.MustCompile(`id="register-link">[^<]*<a href="([^"]+)"`)

// registerLink is the login page's "Create an account" link, "" when the
// page has none.
func registerLink(page result) string {
	m := registerLinkRe.FindSubmatch(page.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(string(m[1]))
}

// openRegister follows the login page's link of the authorization request
// q to the registration page.
func (b *browser) openRegister(q url.Values) result {
	b.t.Helper()
	link := registerLink(b.get("/oauth2/authorize?" + q.Encode()))
	if !strings.HasPrefix(link, "/oauth2/register?") {
		b.t.Fatalf("the login page links to %q, want the registration page", link)
	}
	page := b.get(link)
	if page.status != http.StatusOK {
		b.t.Fatalf("registration page: %d %.300s", page.status, page.body)
	}
	return page
}

// submitRegister posts the registration page's form with fields, from the
// page's own origin as the browser does.
func (b *browser) submitRegister(page result, fields map[string]string) result {
	b.t.Helper()
	v := formFields(b.t, page)
	for k, val := range fields {
		v.Set(k, val)
	}
	return b.send(http.MethodPost, "/oauth2/register", v.Encode(), map[string]string{"Origin": b.s.URL, "Sec-Fetch-Site": "same-origin"})
}

// dora is a complete, acceptable form for registerOpen.
func dora(over ...string) map[string]string {
	f := map[string]string{"user.email": "dora@example.test", "user.password": "dora's own passphrase",
		"passwordConfirm": "dora's own passphrase", "user.firstName": "Dora", "user.lastName": "Explorer"}
	for i := 0; i+1 < len(over); i += 2 {
		f[over[i]] = over[i+1]
	}
	return f
}

// noUser fails unless no user has email.
func (s *stack) noUser(email string) {
	s.t.Helper()
	if res := s.do(call{method: "GET", path: "/api/user?email=" + url.QueryEscape(email), hdr: admin}); res.status != http.StatusNotFound {
		s.t.Fatalf("%s: %d %.300s, want no user", email, res.status, res.body)
	}
}

// TestHostedRegistration: a user with a cookie jar goes from the Store's
// authorization request to the login page, follows "Create an account",
// fills in the registration form and lands back at the Store with a code
// (state and iss too); the code, exchanged with its PKCE verifier, gives
// an id token naming the new user, who is registered for the Store with
// the default role only, and whose sign-in opened a single sign-on
// session (the next authorization request is answered at once).
func TestHostedRegistration(t *testing.T) {
	s := newOAuthStack(t, registerOpen)
	b := newBrowser(s)
	verifier, challenge := pkce("register")
	q := authzQuery(storeApp, storeCallback, challenge)
	page := b.openRegister(q)
	body := string(page.body)
	for _, want := range []string{`name="user.email"`, `name="user.password"`, `name="passwordConfirm"`, `name="user.firstName"`, `name="user.lastName"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("the form has no %s: %s", want, body)
		}
	}
	for _, absent := range []string{`name="user.birthDate"`, `name="user.mobilePhone"`, `name="user.username"`} {
		if strings.Contains(body, absent) {
			t.Fatalf("the form shows %s, which the application did not enable", absent)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+storeSite) || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP %q", csp)
	}
	rq := redirectQuery(t, b.submitRegister(page, dora()), storeCallback)
	if rq.Get("state") != "st-1" || rq.Get("iss") == "" || rq.Get("code") == "" {
		t.Fatalf("redirect query %v", rq)
	}
	tok := s.exchange(storeApp, rq.Get("code"), storeCallback, verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", tok.status, tok.body)
	}
	m := tok.json(t)
	id := jwtClaims(t, m["id_token"].(string))
	if id["email"] != "dora@example.test" {
		t.Fatalf("id token %v", id)
	}
	if roles, _ := jwtClaims(t, m["access_token"].(string))["roles"].([]any); len(roles) != 1 || roles[0] != "user" {
		t.Fatalf("roles %v, want the default role only", roles)
	}
	u := s.do(call{method: "GET", path: "/api/user?email=dora@example.test", hdr: admin}).json(t)["user"].(map[string]any)
	if u["id"] != id["sub"] || u["lastName"] != "Explorer" {
		t.Fatalf("user %v, id token sub %v", u, id["sub"])
	}
	regs, _ := u["registrations"].([]any)
	if len(regs) != 1 || regs[0].(map[string]any)["applicationId"] != storeApp {
		t.Fatalf("registrations %v", regs)
	}
	// The sign-up's sign-in is a single sign-on session like a login's.
	_, challenge2 := pkce("again")
	again := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge2).Encode())
	if redirectQuery(t, again, storeCallback).Get("code") == "" {
		t.Fatal("no code from the new user's session")
	}
}

// TestHostedRegistrationLink: the login page links to the registration
// page, with the same authorization request, only for an application
// that takes sign-ups; for another one the registration page is the login
// page (a redirect to /oauth2/authorize with the same parameters), and
// its form creates nothing (403).
func TestHostedRegistrationLink(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, registerOpen)
	b := newBrowser(s)
	_, challenge := pkce("link")
	q := authzQuery(storeApp, storeCallback, challenge, "locale", "de")
	link := registerLink(b.get("/oauth2/authorize?" + q.Encode()))
	u, err := url.Parse(link)
	must(t, err)
	if u.Path != "/oauth2/register" || u.Query().Encode() != q.Encode() {
		t.Fatalf("register link %q, want the request %s", link, q.Encode())
	}
	page := b.get(link)
	if !strings.Contains(string(page.body), "Konto erstellen") || !strings.Contains(string(page.body), `href="/oauth2/authorize?`) {
		t.Fatalf("registration page not in German or without its sign-in link: %s", page.body)
	}

	fq := authzQuery(forumsApp, forumsCallback, challenge)
	login := b.get("/oauth2/authorize?" + fq.Encode())
	if registerLink(login) != "" {
		t.Fatalf("the Forums login page links to a registration page it does not have")
	}
	res := b.get("/oauth2/register?" + fq.Encode())
	if loc := res.header.Get("Location"); res.status != http.StatusFound || loc != "/oauth2/authorize?"+fq.Encode() {
		t.Fatalf("registration page of an application without sign-up: %d %q", res.status, loc)
	}
	form := formFields(t, login)
	for k, v := range dora() {
		form.Set(k, v)
	}
	post := b.send(http.MethodPost, "/oauth2/register", form.Encode(), map[string]string{"Origin": s.URL})
	if post.status != http.StatusForbidden || !strings.Contains(string(post.body), "does not take new accounts") {
		t.Fatalf("posting the form to an application without sign-up: %d %.400s", post.status, post.body)
	}
	s.noUser("dora@example.test")
}

// TestHostedRegistrationRefusals (adversarial): a form without the CSRF
// token, with another one, or from another origin; a request with an
// unregistered redirect_uri or client; a parameter sent twice; a password
// the tenant's policy refuses, a confirmation that differs, a missing
// required field, an email that has an account: each is refused and
// creates no user. Field problems show the form again, 400, with the
// user's input but never the password, each message at its field.
func TestHostedRegistrationRefusals(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, registerOpen)
	b := newBrowser(s)
	_, challenge := pkce("refuse")
	q := authzQuery(storeApp, storeCallback, challenge)
	page := b.openRegister(q)
	form := formFields(t, page)
	for k, v := range dora() {
		form.Set(k, v)
	}
	same := map[string]string{"Origin": s.URL, "Sec-Fetch-Site": "same-origin"}
	post := func(f url.Values, hdr map[string]string) result {
		return b.send(http.MethodPost, "/oauth2/register", f.Encode(), hdr)
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for n, vs := range form {
			f[n] = append([]string(nil), vs...)
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for name, c := range map[string]struct {
		form   url.Values
		hdr    map[string]string
		status int
	}{
		"no CSRF token":      {with("csrf", ""), same, http.StatusForbidden},
		"another CSRF token": {with("csrf", strings.Repeat("A", 52)), same, http.StatusForbidden},
		"another origin":     {form, map[string]string{"Origin": "https://evil.example.test"}, http.StatusForbidden},
		"a cross-site post":  {form, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		"foreign redirect":   {with("redirect_uri", "https://evil.example.test/cb"), same, http.StatusBadRequest},
		"unknown client":     {with("client_id", "0f1a2b3c-0000-4000-8000-000000000999"), same, http.StatusBadRequest},
		"client_id twice":    {func() url.Values { f := with("client_id", storeApp); f.Add("client_id", forumsApp); return f }(), same, http.StatusBadRequest},
		"user.email twice": {func() url.Values {
			f := with("csrf", form.Get("csrf"))
			f.Add("user.email", "x@example.test")
			return f
		}(), same, http.StatusBadRequest},
		"redirect_uri twice": {func() url.Values {
			f := with("csrf", form.Get("csrf"))
			f.Add("redirect_uri", "https://evil.example.test/cb")
			return f
		}(), same, http.StatusBadRequest},
		"GET foreign redirect": {nil, nil, http.StatusBadRequest},
	} {
		var res result
		if c.form == nil {
			res = b.get("/oauth2/register?" + authzQuery(storeApp, "https://evil.example.test/cb", challenge).Encode())
		} else {
			res = post(c.form, c.hdr)
		}
		if res.status != c.status || res.header.Get("Location") != "" || !strings.Contains(string(res.body), "This sign-in request cannot be completed") {
			t.Fatalf("%s: %d Location %q: %.300s, want the error page %d", name, res.status, res.header.Get("Location"), res.body, c.status)
		}
		s.noUser("dora@example.test")
		s.noUser("x@example.test")
	}

	for name, c := range map[string]struct {
		fields []string
		field  string // the input whose message shows
		msg    string
	}{
		"weak password":        {[]string{"user.password", "short", "passwordConfirm", "short"}, "user.password", "The password is too short."},
		"confirmation differs": {[]string{"passwordConfirm", "dora's other passphrase"}, "passwordConfirm", "The passwords do not match."},
		"no confirmation":      {[]string{"passwordConfirm", ""}, "passwordConfirm", "Required."},
		"no first name":        {[]string{"user.firstName", "  "}, "user.firstName", "Required."},
		"not an email":         {[]string{"user.email", "dora"}, "user.email", "Enter an email address."},
		"existing email":       {[]string{"user.email", strings.ToUpper(aliceEmail)}, "user.email", "An account with this email already exists. Sign in instead."},
	} {
		res := b.submitRegister(page, dora(c.fields...))
		body := string(res.body)
		if res.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %.300s", name, res.status, body)
		}
		if !regexp.MustCompile(`id="` + regexp.QuoteMeta(c.field) + `-error">` + regexp.QuoteMeta(html.EscapeString(c.msg))).MatchString(body) {
			t.Fatalf("%s: no message %q at %s: %s", name, c.msg, c.field, body)
		}
		if strings.Contains(body, "passphrase") || strings.Contains(body, `value="short"`) {
			t.Fatalf("%s: the page shows the password again", name)
		}
		if !strings.Contains(body, `value="Explorer"`) {
			t.Fatalf("%s: the user's input is not kept", name)
		}
		s.noUser("dora@example.test")
		s.noUser("dora")
	}
	// The existing account is untouched: alice still signs in with her password.
	if newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge)).Get("code") == "" {
		t.Fatal("alice's login after a sign-up with her email")
	}
}

// TestHostedRegistrationChildRules: while the tenant's families are on, the
// form is held to the keyless sign-up's child rules: a child refused while
// child registrations are off, and, when a parent's address is required,
// asked for one (the form then shows the field) and created once given.
func TestHostedRegistrationChildRules(t *testing.T) {
	no := false
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, registerOpen, familiesOn, func(apps map[string]*storage.Application, tn *storage.Tenant) {
		apps[storeApp].RegistrationConfiguration.BirthDate = storage.Requirable{Enabled: true, Required: true}
		tn.FamilyConfiguration.AllowChildRegistrations = &no
	})
	b := newBrowser(s)
	_, challenge := pkce("child")
	q := authzQuery(storeApp, storeCallback, challenge)
	page := b.openRegister(q)
	child := s.Clock.Now().UTC().AddDate(-9, 0, 0).Format("2006-01-02")
	res := b.submitRegister(page, dora("user.birthDate", child))
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "Children cannot create an account here") {
		t.Fatalf("a child while child registrations are off: %d %.600s", res.status, res.body)
	}
	s.noUser("dora@example.test")

	res = s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin,
		body: `{"tenant":{"familyConfiguration":{"allowChildRegistrations":true,"parentEmailRequired":true}}}`})
	if res.status != http.StatusOK {
		t.Fatalf("patch tenant: %d %s", res.status, res.body)
	}
	res = b.submitRegister(page, dora("user.birthDate", child))
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), `id="user.parentEmail-error">Children need a parent`) {
		t.Fatalf("a child without a parent's address: %d %.600s", res.status, res.body)
	}
	s.noUser("dora@example.test")
	res = b.submitRegister(page, dora("user.birthDate", child, "user.parentEmail", "mum@example.test"))
	if redirectQuery(t, res, storeCallback).Get("code") == "" {
		t.Fatal("no code for a child with a parent's address")
	}
	u := s.do(call{method: "GET", path: "/api/user?email=dora@example.test", hdr: admin}).json(t)["user"].(map[string]any)
	if u["parentEmail"] != "mum@example.test" || u["birthDate"] != child {
		t.Fatalf("child %v", u)
	}
}

// TestHostedRegistrationGatedVerification: when the tenant verifies
// addresses and gates unverified users, the new account exists
// (unverified) but the page answers as the login form does for such a
// user: the login page saying to verify the address first, no code, no
// single sign-on cookie.
func TestHostedRegistrationGatedVerification(t *testing.T) {
	s := newOAuthStack(t, registerOpen, verifying("ClickableLink"))
	b := newBrowser(s)
	_, challenge := pkce("gated")
	page := b.openRegister(authzQuery(storeApp, storeCallback, challenge))
	res := b.submitRegister(page, dora())
	if res.status != http.StatusOK || res.header.Get("Location") != "" ||
		!strings.Contains(string(res.body), "Verify your email address first") || cookieValue(res, "latchkey_sso") != "" {
		t.Fatalf("sign-up of a gated user: %d Location %q: %.400s", res.status, res.header.Get("Location"), res.body)
	}
	u := s.do(call{method: "GET", path: "/api/user?email=dora@example.test", hdr: admin}).json(t)["user"].(map[string]any)
	if u["verified"] != false {
		t.Fatalf("user %v, want unverified", u)
	}
}

// TestHostedRegistrationRateLimit: the form shares the keyless sign-up's
// per-address bucket, refused forms included: an API sign-up and two forms
// use a limit of three, the fourth form gets the 429 page and creates
// nothing.
func TestHostedRegistrationRateLimit(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "sign-up=3/1h" }}, registerOpen)
	b := newBrowser(s)
	_, challenge := pkce("rate")
	page := b.openRegister(authzQuery(storeApp, storeCallback, challenge))
	if res := s.do(call{method: "POST", path: "/api/user/registration",
		body: `{"user":{"email":"api@example.test","password":"short"},"registration":{"applicationId":"` + storeApp + `"}}`}); res.status != http.StatusBadRequest {
		t.Fatalf("API sign-up: %d %s", res.status, res.body)
	}
	for range 2 {
		if res := b.submitRegister(page, dora("user.password", "short")); res.status != http.StatusBadRequest {
			t.Fatalf("refused form: %d", res.status)
		}
	}
	res := b.submitRegister(page, dora())
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("fourth sign-up from one address: %d %.300s", res.status, res.body)
	}
	s.noUser("dora@example.test")
}

// TestHostedRegistrationWithPendingLink: a sign-in through an identity
// provider whose account is linked to nobody here shows the login page
// naming it, with the offer to create an account instead; the account
// created on the registration page that link leads to gets the upstream
// account linked, so the next "Sign in with Upstream", in another
// browser, is the new user's at once. A refused form links nothing.
func TestHostedRegistrationWithPendingLink(t *testing.T) {
	down := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].RegistrationConfiguration = storage.RegistrationConfiguration{Enabled: true, Type: "basic", LoginIDType: "email"}
	})
	up := newUpstream(t, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "CreatePendingLink")
	_, challenge := pkce("pending-")
	b := newBrowser(down)
	login := b.get(upstreamCallback(t, b, down, up, "carol@example.test", challenge))
	if !strings.Contains(string(login.body), "Or create a new account for it below.") {
		t.Fatalf("the pending link's page offers no account: %d %s", login.status, login.body)
	}
	link := registerLink(login)
	if u, err := url.Parse(link); err != nil || u.Query().Get("pending_link") == "" {
		t.Fatalf("register link %q carries no pending link", link)
	}
	page := b.get(link)
	if !strings.Contains(string(page.body), "You signed in with Upstream as <strong>carol@example.test</strong>") {
		t.Fatalf("the registration page does not name the pending link: %s", page.body)
	}
	fields := map[string]string{"user.email": "carol@example.test", "user.password": "short"}
	if res := b.submitRegister(page, fields); res.status != http.StatusBadRequest {
		t.Fatalf("a refused form: %d", res.status)
	}
	down.noUser("carol@example.test")
	fields["user.password"] = "carol's own passphrase"
	q := redirectQuery(t, b.submitRegister(page, fields), forumsCallback)
	carol := down.do(call{method: "GET", path: "/api/user?email=carol@example.test", hdr: admin}).json(t)["user"].(map[string]any)["id"].(string)
	if got := down.storedLinks(carol); len(got) != 1 || q.Get("code") == "" {
		t.Fatalf("carol's links after her sign-up: %v (code %q)", got, q.Get("code"))
	}
	verifier2, challenge2 := pkce("pending-2-")
	_, q2 := signInWithUpstream(t, newBrowser(down), down, up, "carol@example.test", challenge2)
	if id := idTokenClaims(t, down.exchange(forumsApp, q2.Get("code"), forumsCallback, verifier2)); id["sub"] != carol {
		t.Fatalf("the next sign-in with Upstream: %v, want %s", id, carol)
	}
}

// TestHostedRegistrationWhoseTurnNeverCameAnswersBusy: the registration
// form waits for a hashing turn as the login form does; one whose client
// goes away while it waits is answered with the busy page (503,
// Retry-After: 1) and creates no user.
func TestHostedRegistrationWhoseTurnNeverCameAnswersBusy(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, registerOpen)
	b := newBrowser(s)
	_, challenge := pkce("busy")
	v := formFields(t, b.openRegister(authzQuery(storeApp, storeCallback, challenge)))
	for k, val := range dora() {
		v.Set(k, val)
	}
	u, err := url.Parse(s.URL)
	must(t, err)
	var cookies []string
	for _, c := range b.hc.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	rec := serveBusy(t, s, call{method: "POST", path: "/oauth2/register", body: v.Encode(), hdr: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": s.URL, "Sec-Fetch-Site": "same-origin", "Cookie": strings.Join(cookies, "; ")}})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("busy registration: %d %q Retry-After %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Retry-After"), rec.Body)
	}
	s.noUser("dora@example.test")
}

// TestHostedRegistrationByUsername: with loginIdType username the form
// asks for a username and no email; a blank one is refused at the
// username field, and a filled one creates a user with that username who
// gets a code.
func TestHostedRegistrationByUsername(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].RegistrationConfiguration = storage.RegistrationConfiguration{Enabled: true, Type: "basic", LoginIDType: "username"}
	})
	b := newBrowser(s)
	_, challenge := pkce("username")
	page := b.openRegister(authzQuery(storeApp, storeCallback, challenge))
	if body := string(page.body); !strings.Contains(body, `name="user.username"`) || strings.Contains(body, `name="user.email"`) {
		t.Fatalf("the form for usernames: %s", body)
	}
	res := b.submitRegister(page, map[string]string{"user.username": " ", "user.password": "dora's own passphrase"})
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), `id="user.username-error">Required.`) {
		t.Fatalf("a blank username: %d %s", res.status, res.body)
	}
	q := redirectQuery(t, b.submitRegister(page, map[string]string{"user.username": "dora", "user.password": "dora's own passphrase"}), storeCallback)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	if res := s.do(call{method: "GET", path: "/api/user?username=dora", hdr: admin}); res.status != http.StatusOK {
		t.Fatalf("the user by username: %d %s", res.status, res.body)
	}
}
