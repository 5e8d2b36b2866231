package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	lambdaID   = "0f1a2b3c-0000-4000-8000-0000000000d1"
	idLambdaID = "0f1a2b3c-0000-4000-8000-0000000000d2"
	// colorLambda adds claims from the user and registration, and tries a
	// reserved claim, which stays as latchkey set it.
	colorLambda = `function populate(jwt, user, registration, context) {
  jwt.favoriteColor = user.data.favoriteColor;
  jwt.registered = registration ? registration.roles : null;
  jwt.sub = "someone else";
}`
)

// TestLambdaAPI pins the lambda API (apis/lambdas) with golden files:
// create with FusionAuth's defaults, retrieve, list (all, by type),
// search, update (the type cannot change), patch, and the refusals: a body
// that does not compile or defines no populate, a type latchkey does not
// run, blanks, a lambda an application uses; a tenant-scoped key is refused.
func TestLambdaAPI(t *testing.T) {
	s := newStack(t, validJWTConfig)
	body := func(b string) string { return `"body":` + quote(b) }
	for _, c := range []struct{ name, method, path, body string }{
		{"lambda-create", "POST", "/api/lambda/" + lambdaID, `{"lambda":{"name":"Favorite color","type":"JWTPopulate",` + body(colorLambda) + `}}`},
		{"lambda-duplicate", "POST", "/api/lambda/" + lambdaID, `{"lambda":{"name":"Again","type":"JWTPopulate",` + body(colorLambda) + `}}`},
		{"lambda-get", "GET", "/api/lambda/" + lambdaID, ""},
		{"lambda-list", "GET", "/api/lambda", ""},
		{"lambda-list-by-type", "GET", "/api/lambda?type=UserInfoPopulate", ""},
		{"lambda-search", "POST", "/api/lambda/search", `{"search":{"name":"color","body":"favoriteColor"}}`},
		{"lambda-put", "PUT", "/api/lambda/" + lambdaID, `{"lambda":{"name":"Colour","type":"UserInfoPopulate","debug":true,` + body(colorLambda) + `}}`},
		{"lambda-patch", "PATCH", "/api/lambda/" + lambdaID, `{"lambda":{"name":"Favourite colour"}}`},
		{"lambda-invalid-body", "POST", "/api/lambda", `{"lambda":{"name":"Broken","type":"JWTPopulate",` + body("function populate(jwt) { jwt.x = ; }") + `}}`},
		{"lambda-no-populate", "POST", "/api/lambda", `{"lambda":{"name":"Nothing","type":"JWTPopulate",` + body("var x = 1;") + `}}`},
		{"lambda-invalid-type", "POST", "/api/lambda", `{"lambda":{"name":"Reconcile","type":"SAMLv2Reconcile","engineType":"Nashorn",` + body(colorLambda) + `}}`},
		{"lambda-blank", "POST", "/api/lambda", `{"lambda":{}}`},
		{"lambda-get-unknown", "GET", "/api/lambda/0f1a2b3c-0000-4000-8000-0000000000df", ""},
	} {
		res := s.do(call{method: c.method, path: c.path, body: c.body, hdr: admin})
		managementGolden(t, c.name, res.status, res.body)
	}
	res := s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: admin,
		body: `{"application":{"lambdaConfiguration":{"accessTokenPopulateId":"` + lambdaID + `"}}}`})
	wantStatus(t, res, 200)
	res = s.do(call{method: "DELETE", path: "/api/lambda/" + lambdaID, hdr: admin})
	managementGolden(t, "lambda-delete-in-use", res.status, res.body)
	res = s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: admin,
		body: `{"application":{"lambdaConfiguration":{"accessTokenPopulateId":"0f1a2b3c-0000-4000-8000-0000000000df","idTokenPopulateId":"nope"}}}`})
	managementGolden(t, "application-lambda-configuration-invalid", res.status, res.body)
	scoped := tenantScopedKey(t, s)
	if res := s.do(call{method: "GET", path: "/api/lambda", hdr: map[string]string{"Authorization": scoped}}); res.status != 403 {
		t.Fatalf("a tenant-scoped key listed lambdas: %d", res.status)
	}
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: admin,
		body: `{"application":{"lambdaConfiguration":{"accessTokenPopulateId":null}}}`}), 200)
	wantStatus(t, s.do(call{method: "DELETE", path: "/api/lambda/" + lambdaID, hdr: admin}), 200)
	if res := s.do(call{method: "GET", path: "/api/lambda/" + lambdaID, hdr: admin}); res.status != 404 {
		t.Fatalf("get after delete: %d", res.status)
	}
}

// TestLambdasPopulateTokens: the application's lambdas run on every token
// it issues: the access token of a login and of a refresh
// (accessTokenPopulateId), the id token of the password grant
// (idTokenPopulateId). Reserved claims stay latchkey's. A change to the
// lambda applies to the next token; a lambda that throws, or runs past its
// time limit, leaves the token as latchkey made it, the login and refresh
// succeed and the failure is logged with the lambda's id (FusionAuth's
// semantics).
func TestLambdasPopulateTokens(t *testing.T) {
	var logs syncBuffer
	s := newLoggedStack(t, slog.New(slog.NewTextHandler(&logs, nil)), validJWTConfig)
	ctx := context.Background()
	u, err := s.Store.GetUser(ctx, aliceID)
	must(t, err)
	u.Data = map[string]any{"favoriteColor": "teal"}
	must(t, s.Store.UpdateUser(ctx, u))
	wantStatus(t, s.do(call{method: "POST", path: "/api/lambda/" + lambdaID, hdr: admin,
		body: `{"lambda":{"name":"Favorite color","type":"JWTPopulate","body":` + quote(colorLambda) + `}}`}), 200)
	wantStatus(t, s.do(call{method: "POST", path: "/api/lambda/" + idLambdaID, hdr: admin,
		body: `{"lambda":{"name":"Id token","type":"JWTPopulate","body":` + quote(`function populate(jwt, user) { jwt.nickname = "ali"; }`) + `}}`}), 200)
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: admin,
		body: `{"application":{"lambdaConfiguration":{"accessTokenPopulateId":"` + lambdaID + `","idTokenPopulateId":"` + idLambdaID + `"}}}`}), 200)

	login := s.login(storeApp, nil)
	wantStatus(t, login, 200)
	c := claims(t, login.json(t)["token"].(string))
	if c["favoriteColor"] != "teal" || c["sub"] != aliceID || !equalJSON(c["registered"], []any{"user"}) {
		t.Fatalf("login token claims: %v", c)
	}
	refreshed := s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + login.json(t)["refreshToken"].(string) + `"}`})
	wantStatus(t, refreshed, 200)
	if c := claims(t, refreshed.json(t)["token"].(string)); c["favoriteColor"] != "teal" {
		t.Fatalf("refresh token claims: %v", c)
	}
	grant := s.do(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass}, "client_id": {storeApp},
			"client_secret": {secret}, "scope": {"openid offline_access"}}.Encode()})
	wantStatus(t, grant, 200)
	if id := claims(t, grant.json(t)["id_token"].(string)); id["nickname"] != "ali" || id["favoriteColor"] != nil || id["sub"] != aliceID {
		t.Fatalf("id token claims: %v", id)
	}
	if at := claims(t, grant.json(t)["access_token"].(string)); at["favoriteColor"] != "teal" {
		t.Fatalf("password grant access token claims: %v", at)
	}

	wantStatus(t, s.do(call{method: "PATCH", path: "/api/lambda/" + lambdaID, hdr: admin,
		body: `{"lambda":{"body":` + quote(`function populate(jwt, user) { jwt.favoriteColor = user.data.nothing.here; }`) + `}}`}), 200)
	login = s.login(storeApp, nil)
	wantStatus(t, login, 200)
	if c := claims(t, login.json(t)["token"].(string)); c["favoriteColor"] != nil || c["sub"] != aliceID {
		t.Fatalf("a throwing lambda changed the token: %v", c)
	}
	if !strings.Contains(logs.String(), "lambdaId="+lambdaID) {
		t.Fatalf("the failure was not logged with the lambda id:\n%s", logs.String())
	}

	// A lambda that never returns is stopped at its time limit: the login
	// and the refresh still succeed with latchkey's own claims, and the
	// timeout is logged with the lambda's id.
	wantStatus(t, s.do(call{method: "PATCH", path: "/api/lambda/" + lambdaID, hdr: admin,
		body: `{"lambda":{"body":` + quote(`function populate(jwt) { jwt.favoriteColor = "never"; while (true) {} }`) + `}}`}), 200)
	login = s.login(storeApp, nil)
	wantStatus(t, login, 200)
	if c := claims(t, login.json(t)["token"].(string)); c["favoriteColor"] != nil || c["sub"] != aliceID {
		t.Fatalf("a lambda stopped at its time limit changed the token: %v", c)
	}
	refreshed = s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + login.json(t)["refreshToken"].(string) + `"}`})
	wantStatus(t, refreshed, 200)
	if c := claims(t, refreshed.json(t)["token"].(string)); c["favoriteColor"] != nil || c["sub"] != aliceID {
		t.Fatalf("a lambda stopped at its time limit changed the refreshed token: %v", c)
	}
	if !strings.Contains(logs.String(), "reason=timeout") || !strings.Contains(logs.String(), "lambdaId="+lambdaID) {
		t.Fatalf("the timeout was not logged with the lambda id:\n%s", logs.String())
	}
}

// validJWTConfig gives the Store app the application defaults' JWT
// settings, so that a PATCH of it passes validation.
func validJWTConfig(apps map[string]*storage.Application, _ *storage.Tenant) {
	apps[storeApp].JWTConfiguration = manage.ApplicationDefaults().JWTConfiguration
}

// syncBuffer is a log sink the App's goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func equalJSON(a any, b []any) bool {
	list, ok := a.([]any)
	if !ok || len(list) != len(b) {
		return false
	}
	for i := range list {
		if list[i] != b[i] {
			return false
		}
	}
	return true
}
