package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	reconcileID = "0f1a2b3c-0000-4000-8000-0000000000e1"
	// mapClaims maps upstream claims onto the user and the registration,
	// counting the logins in user.data so a second login shows.
	mapClaims = `function reconcile(user, registration, jwt, id_token, tokens) {
  user.firstName = "Fed";
  user.data = user.data || {};
  user.data.upstreamEmail = jwt.email;
  user.data.logins = (user.data.logins || 0) + 1;
  user.data.idTokenSeen = typeof id_token === "object" && id_token.sub === jwt.sub && typeof tokens.id_token === "string" && tokens.access_token === undefined;
  if (registration.roles.indexOf("moderator") < 0) registration.roles.push("moderator");
}`
)

// withReconcile creates an OpenIDReconcile lambda with body, gives the
// forums application a moderator role, and points the provider at the
// lambda.
func withReconcile(t *testing.T, down *stack, body string) {
	t.Helper()
	down.apiOK("POST", "/api/lambda/"+reconcileID, map[string]any{"lambda": map[string]any{"name": "Map claims", "type": "OpenIDReconcile", "body": body}})
	down.apiOK("POST", "/api/application/"+forumsApp+"/role", map[string]any{"role": map[string]any{"name": "moderator"}})
	down.apiOK("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{
		"lambdaConfiguration": map[string]any{"reconcileId": reconcileID}}})
}

func setReconcileBody(t *testing.T, down *stack, body string) {
	t.Helper()
	down.apiOK("PATCH", "/api/lambda/"+reconcileID, map[string]any{"lambda": map[string]any{"body": body}})
}

// storedAccount is the user's stored record and registrations as JSON,
// to compare before and after a refused login.
func storedAccount(t *testing.T, s *stack, userID string) string {
	t.Helper()
	ctx := context.Background()
	u, err := s.Store.GetUser(ctx, userID)
	must(t, err)
	regs, err := s.Store.ListRegistrations(ctx, userID)
	must(t, err)
	b, err := json.Marshal(map[string]any{"user": u, "regs": regs, "rev": u.Revision, "pw": u.Password})
	must(t, err)
	return string(b)
}

// TestIdentityProviderReconcileLambda: an OpenID Connect provider's
// reconcile lambda maps upstream claims into user.data, firstName and a
// registration role on the login that creates the user and again on every
// later one; GET /api/user, the issued token's roles and the application's
// populate lambda see them.
// Adversarial: a lambda changing protected fields (email, to another
// user's; username, verified, active, id, tenantId, passwordChangeRequired,
// the registration's id and applicationId) changes none of them; a lambda
// that throws, runs past its limit, grants a role the application lacks or
// sets a birthDate that is no date refuses the login (400
// LambdaInvocationException, FusionAuth's "the user will not be created
// or linked") with nothing written: no user for a new upstream account,
// and an existing user's record and registration byte for byte as before.
// Under LinkAnonymously no lambda runs.
func TestIdentityProviderReconcileLambda(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"bob@example.test", true}, upstreamUser{"carol@example.test", true})
	federate(t, down, up, "LinkByEmail")
	// A populate lambda on the application sees the reconciled user (set
	// in the store: the seeded application has no full jwtConfiguration;
	// withReconcile's role change then clears the cached application).
	populateID := "0f1a2b3c-0000-4000-8000-0000000000e3"
	down.apiOK("POST", "/api/lambda/"+populateID, map[string]any{"lambda": map[string]any{"name": "Upstream email", "type": "JWTPopulate",
		"body": "function populate(jwt, user) { jwt.upstreamEmail = user.data && user.data.upstreamEmail; jwt.first = user.firstName; }"}})
	app, err := down.Store.GetApplication(context.Background(), forumsApp)
	must(t, err)
	app.LambdaConfiguration.AccessTokenPopulateID = populateID
	must(t, down.Store.UpdateApplication(context.Background(), app))
	withReconcile(t, down, mapClaims)

	res := idpLogin(down, upstreamCode(t, up, "bob@example.test"))
	wantStatus(t, res, 200)
	body := res.json(t)
	if c := jwtClaims(t, body["token"].(string)); c["upstreamEmail"] != "bob@example.test" || c["first"] != "Fed" {
		t.Fatalf("the populate lambda did not see the reconciled user: %v", c)
	}
	bobID := body["user"].(map[string]any)["id"].(string)
	roles := func(tok string) []any { r, _ := jwtClaims(t, tok)["roles"].([]any); return r }
	if !slices.Contains(roles(body["token"].(string)), any("moderator")) {
		t.Fatalf("the token's roles lack the reconciled role: %v", jwtClaims(t, body["token"].(string)))
	}
	user := down.apiOK("GET", "/api/user/"+bobID, nil)["user"].(map[string]any)
	data, _ := user["data"].(map[string]any)
	if user["firstName"] != "Fed" || data["upstreamEmail"] != "bob@example.test" || data["logins"] != 1.0 || data["idTokenSeen"] != true {
		t.Fatalf("reconciled user %v", user)
	}
	reg := user["registrations"].([]any)[0].(map[string]any)
	if !slices.Contains(reg["roles"].([]any), any("moderator")) {
		t.Fatalf("registration %v", reg)
	}
	// A second login runs it again on the stored user.
	wantStatus(t, idpLogin(down, upstreamCode(t, up, "bob@example.test")), 200)
	user = down.apiOK("GET", "/api/user/"+bobID, nil)["user"].(map[string]any)
	if user["data"].(map[string]any)["logins"] != 2.0 {
		t.Fatalf("second login: %v", user["data"])
	}

	// Protected fields: none changes; the allowed change beside them does.
	before := down.apiOK("GET", "/api/user/"+bobID, nil)["user"].(map[string]any)
	aliceBefore := storedAccount(t, down, aliceID)
	setReconcileBody(t, down, `function reconcile(user, registration) {
  user.email = "`+aliceEmail+`"; user.username = "bobby"; user.verified = false; user.active = false;
  user.id = "0f1a2b3c-0000-4000-8000-0000000000ee"; user.tenantId = "0f1a2b3c-0000-4000-8000-0000000000ef";
  user.passwordChangeRequired = true; user.insertInstant = 1;
  registration.id = "0f1a2b3c-0000-4000-8000-0000000000ed"; registration.applicationId = "0f1a2b3c-0000-4000-8000-0000000000ec";
  registration.verified = false;
  user.lastName = "Still";
}`)
	res = idpLogin(down, upstreamCode(t, up, "bob@example.test"))
	wantStatus(t, res, 200)
	if jwtClaims(t, res.json(t)["token"].(string))["sub"] != bobID {
		t.Fatal("the token names another user")
	}
	after := down.apiOK("GET", "/api/user/"+bobID, nil)["user"].(map[string]any)
	for _, k := range []string{"id", "tenantId", "email", "username", "verified", "active", "passwordChangeRequired", "insertInstant"} {
		if !sameValue(before[k], after[k]) {
			t.Errorf("protected %s changed: %v -> %v", k, before[k], after[k])
		}
	}
	if after["lastName"] != "Still" {
		t.Errorf("the allowed change beside them was not applied: %v", after["lastName"])
	}
	areg := after["registrations"].([]any)[0].(map[string]any)
	breg := before["registrations"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "applicationId", "verified"} {
		if !sameValue(areg[k], breg[k]) {
			t.Errorf("registration %s changed: %v -> %v", k, breg[k], areg[k])
		}
	}
	if storedAccount(t, down, aliceID) != aliceBefore {
		t.Error("the other user's account changed")
	}

	// Refusals: nothing written.
	for _, c := range []struct{ name, body string }{
		{"throws", `function reconcile(user, registration) { user.firstName = "Half"; registration.roles = []; throw new Error("no"); }`},
		{"over the time limit", `function reconcile(user) { user.firstName = "Half"; for (;;) {} }`},
		{"over the size limit", `function reconcile(user) { user.firstName = "Half"; user.data.big = "x".repeat(70000); }`},
		{"unknown role", `function reconcile(user, registration) { user.firstName = "Half"; registration.roles.push("owner"); }`},
		{"no date", `function reconcile(user, registration) { user.firstName = "Half"; user.birthDate = "soon"; }`},
		{"wrong type", `function reconcile(user, registration) { user.firstName = "Half"; registration.roles = "moderator"; }`},
		// PostgreSQL cannot store a NUL (storage.ErrNUL): refused on both backends.
		{"NUL in the user", `function reconcile(user) { user.firstName = "Half"; user.data.nick = "a\u0000b"; }`},
		{"NUL in the registration", `function reconcile(user, registration) { user.firstName = "Half"; registration.data = {n: String.fromCharCode(0)}; }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			setReconcileBody(t, down, c.body)
			was := storedAccount(t, down, bobID)
			res := idpLogin(down, upstreamCode(t, up, "bob@example.test"))
			if res.status != 400 || !strings.Contains(string(res.body), "[LambdaInvocationException]") || strings.Contains(string(res.body), "token") {
				t.Fatalf("existing user: %d %s", res.status, res.body)
			}
			if now := storedAccount(t, down, bobID); now != was {
				t.Fatalf("a refused login wrote:\n%s\n%s", was, now)
			}
			// A new upstream account: not created, not linked.
			res = idpLogin(down, upstreamCode(t, up, "carol@example.test"))
			wantStatus(t, res, 400)
			if _, err := down.Store.FindUser(context.Background(), storage.UserFilter{TenantID: tenantID, Email: "carol@example.test"}); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("a refused first login created the user: %v", err)
			}
		})
	}

	// LinkAnonymously runs no lambda (FusionAuth's "Limitations"): even a
	// failing one (the last body above) does not stop the login.
	down.apiOK("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"linkingStrategy": "LinkAnonymously"}})
	res = idpLogin(down, upstreamCode(t, up, "carol@example.test"))
	wantStatus(t, res, 200)
	if u := res.json(t)["user"].(map[string]any); u["firstName"] != nil || u["data"] != nil {
		t.Fatalf("a lambda ran for an anonymous link: %v", u)
	}
}

func sameValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestReconcileLambdaAPIRefusals (adversarial): an OpenIDReconcile body
// without reconcile is refused on save; a provider's reconcileId must name
// an existing OpenIDReconcile lambda; a lambda a provider uses cannot be
// deleted, and stays.
func TestReconcileLambdaAPIRefusals(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t)
	federate(t, down, up, "LinkByEmail")
	res := down.api("POST", "/api/lambda", map[string]any{"lambda": map[string]any{"name": "x", "type": "OpenIDReconcile", "body": "function populate(jwt) {}"}})
	if res.status != 400 || !strings.Contains(string(res.body), "[invalid]lambda.body") {
		t.Fatalf("reconcile body without reconcile: %d %s", res.status, res.body)
	}
	populateID := "0f1a2b3c-0000-4000-8000-0000000000e2"
	down.apiOK("POST", "/api/lambda/"+populateID, map[string]any{"lambda": map[string]any{"name": "p", "type": "JWTPopulate", "body": "function populate(jwt) {}"}})
	for _, id := range []string{populateID, "0f1a2b3c-0000-4000-8000-0000000000e9"} {
		res := down.api("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"lambdaConfiguration": map[string]any{"reconcileId": id}}})
		if res.status != 400 || !strings.Contains(string(res.body), "[invalid]identityProvider.lambdaConfiguration.reconcileId") {
			t.Fatalf("reconcileId %s: %d %s", id, res.status, res.body)
		}
	}
	p, err := down.Store.GetIdentityProvider(context.Background(), idpID)
	must(t, err)
	if p.LambdaConfiguration.ReconcileID != "" {
		t.Fatalf("a refused reconcileId was stored: %q", p.LambdaConfiguration.ReconcileID)
	}
	withReconcile(t, down, mapClaims)
	res = down.api("DELETE", "/api/lambda/"+reconcileID, nil)
	if res.status != 400 || !strings.Contains(string(res.body), "[inUse]lambdaId") || !strings.Contains(string(res.body), idpID) {
		t.Fatalf("delete in use: %d %s", res.status, res.body)
	}
	down.apiOK("GET", "/api/lambda/"+reconcileID, nil)
	got := down.apiOK("GET", "/api/identity-provider/"+idpID, nil)["identityProvider"].(map[string]any)
	if got["lambdaConfiguration"].(map[string]any)["reconcileId"] != reconcileID {
		t.Fatalf("provider %v", got)
	}
}

// TestHostedSignInWithProviderReconciles: on the hosted page's "Sign in
// with Upstream" the reconcile lambda runs too; the tokens from the code
// carry its role; a failing lambda sends the browser back with
// access_denied and creates nobody.
func TestHostedSignInWithProviderReconciles(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true}, upstreamUser{"erin@example.test", true})
	federate(t, down, up, "LinkByEmail")
	withReconcile(t, down, mapClaims)
	verifier, challenge := pkce("federated-")
	_, q := signInWithUpstream(t, newBrowser(down), down, up, "dave@example.test", challenge)
	tok := down.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)
	wantStatus(t, tok, 200)
	c := jwtClaims(t, tok.json(t)["access_token"].(string))
	if r, _ := c["roles"].([]any); !slices.Contains(r, any("moderator")) {
		t.Fatalf("access token %v", c)
	}
	u, err := down.Store.FindUser(context.Background(), storage.UserFilter{TenantID: tenantID, Email: "dave@example.test"})
	must(t, err)
	if u.FirstName != "Fed" || u.Data["upstreamEmail"] != "dave@example.test" {
		t.Fatalf("user %+v", u)
	}
	setReconcileBody(t, down, `function reconcile(user) { throw new Error("no"); }`)
	b := newBrowser(down)
	callback := upstreamCallback(t, b, down, up, "erin@example.test", challenge)
	q = redirectQuery(t, b.get(callback), forumsCallback)
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("failing lambda: %v", q)
	}
	if _, err := down.Store.FindUser(context.Background(), storage.UserFilter{TenantID: tenantID, Email: "erin@example.test"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a refused sign-in created the user: %v", err)
	}
}

// TestIdentityProviderReconcileLinksExistingUser: the login that first
// links an upstream account to an existing user (alice, by her verified
// email) runs the lambda on her stored record and registration, and
// writes its changes with the link.
func TestIdentityProviderReconcileLinksExistingUser(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	withReconcile(t, down, mapClaims)
	res := idpLogin(down, upstreamCode(t, up, aliceEmail))
	wantStatus(t, res, 200)
	if id := res.json(t)["user"].(map[string]any)["id"]; id != aliceID {
		t.Fatalf("linked to %v, want alice", id)
	}
	u, err := down.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	regs, err := down.Store.ListRegistrations(context.Background(), aliceID)
	must(t, err)
	var roles []string
	for _, r := range regs {
		if r.ApplicationID == forumsApp {
			roles = r.Roles
		}
	}
	if u.FirstName != "Fed" || u.Data["upstreamEmail"] != aliceEmail || !slices.Contains(roles, "moderator") {
		t.Fatalf("alice after the linking login: %q %v roles %v", u.FirstName, u.Data, roles)
	}
	if links, err := down.Store.ListIdentityProviderLinks(context.Background(), aliceID, idpID); err != nil || len(links) != 1 {
		t.Fatalf("alice's links %v %v", links, err)
	}
}
