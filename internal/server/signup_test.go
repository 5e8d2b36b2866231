package server_test

import (
	"net/http"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// signUpOpen enables keyless sign-up for the Store (first name required)
// with a default and a non-default role, and gated verification.
func signUpOpen(apps map[string]*storage.Application, tn *storage.Tenant) {
	a := apps[storeApp]
	a.RegistrationConfiguration = storage.RegistrationConfiguration{Enabled: true, Type: "basic", LoginIDType: "email",
		FirstName: storage.Requirable{Enabled: true, Required: true}}
	a.Roles = []storage.ApplicationRole{{ID: "r-user", Name: "user", IsDefault: true}, {ID: "r-admin", Name: "admin"}}
	verifying("ClickableLink")(apps, tn)
}

func signUpBody(extra string) string {
	return `{"user":{"email":"dora@example.test","password":"dora's own passphrase","firstName":"Dora"` + extra +
		`},"registration":{"applicationId":"` + storeApp + `"}}`
}

// TestSignUp: an application with registrationConfiguration.enabled lets
// a SPA create an account without an API key: the user gets the default
// roles only, is unverified and mailed a verification link to the Store,
// and no token is issued (golden); login is then gated until the link is
// used.
func TestSignUp(t *testing.T) {
	s := newMailStack(t, signUpOpen)
	res := s.do(call{method: "POST", path: "/api/user/registration", body: signUpBody(""), hdr: map[string]string{"Origin": storeSite}})
	if res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	managementGolden(t, "signup-200", res.status, res.body)
	if res.header.Get("Access-Control-Allow-Origin") != storeSite || cookieValue(res, "refresh_token") != "" {
		t.Fatalf("CORS %q, cookie %q", res.header.Get("Access-Control-Allow-Origin"), cookieValue(res, "refresh_token"))
	}
	id := linkID(t, s.mailTo("dora@example.test", 1)[0], storeSite+"/email/verify/")
	login := `{"loginId":"dora@example.test","password":"dora's own passphrase","applicationId":"` + storeApp + `"}`
	if got := s.do(call{method: "POST", path: "/api/login", body: login}).status; got != 212 {
		t.Fatalf("login before verifying: %d", got)
	}
	if s.do(call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + id + `"}`}).status != 200 {
		t.Fatal("verify")
	}
	ok := s.do(call{method: "POST", path: "/api/login", body: login})
	if ok.status != 200 {
		t.Fatalf("login after verifying: %d", ok.status)
	}
	if roles := jwtClaims(t, ok.json(t)["token"].(string))["roles"]; len(roles.([]any)) != 1 || roles.([]any)[0] != "user" {
		t.Fatalf("roles %v, want the default role only", roles)
	}
}

// TestSignUpRefusals (adversarial): an application that did not enable
// sign-up answers 401 whatever the body; fields outside the allow-list
// (roles, verified, ids, flags for API keys) are refused with
// [notAllowed] and nothing is created; the required first name, the
// password policy and an existing email are refused with FusionAuth's
// field errors; the route is rate-limited per address.
func TestSignUpRefusals(t *testing.T) {
	s := newMailStack(t, signUpOpen)
	forums := `{"user":{"email":"eve@example.test","password":"eve's own passphrase"},"registration":{"applicationId":"` + forumsApp + `"}}`
	for name, body := range map[string]string{"sign-up not enabled": forums,
		"unknown application": `{"user":{"email":"e@example.test","password":"long enough pass"},"registration":{"applicationId":"0f1a2b3c-0000-4000-8000-000000000999"}}`,
		"no application":      `{"user":{"email":"e@example.test","password":"long enough pass"}}`} {
		if res := s.do(call{method: "POST", path: "/api/user/registration", body: body}); res.status != http.StatusUnauthorized || len(res.body) != 0 {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
	}
	for _, c := range []struct{ name, body, golden string }{
		{"privileged fields", `{"user":{"email":"mallory@example.test","password":"mallory's passphrase","firstName":"M","verified":true,"id":"0f1a2b3c-0000-4000-8000-000000000777","twoFactor":{}},` +
			`"registration":{"applicationId":"` + storeApp + `","roles":["admin"],"verified":true},"skipVerification":true}`, "signup-not-allowed"},
		{"required first name and policy", `{"user":{"email":"x@example.test","password":"short"},"registration":{"applicationId":"` + storeApp + `"}}`, "signup-invalid"},
		{"existing email", `{"user":{"email":"` + aliceEmail + `","password":"a long passphrase","firstName":"A"},"registration":{"applicationId":"` + storeApp + `"}}`, "signup-duplicate"},
	} {
		res := s.do(call{method: "POST", path: "/api/user/registration", body: c.body})
		if res.status != 400 {
			t.Fatalf("%s: %d %s", c.name, res.status, res.body)
		}
		managementGolden(t, c.golden, res.status, res.body)
	}
	if res := s.do(call{method: "GET", path: "/api/user?email=mallory@example.test", hdr: admin}); res.status != 404 {
		t.Fatalf("a refused sign-up created the user: %d", res.status)
	}
	s.noMailTo("mallory@example.test")
	// 10 an hour per address; the refused ones above count too.
	for i := range 7 {
		s.do(call{method: "POST", path: "/api/user/registration", body: signUpBody(`,"middleName":"` + string(rune('a'+i)) + `"`)})
	}
	if res := s.do(call{method: "POST", path: "/api/user/registration", body: signUpBody("")}); res.status != http.StatusTooManyRequests {
		t.Fatalf("11th sign-up from one address: %d", res.status)
	}
	if res := s.do(call{method: "POST", path: "/api/user/registration", hdr: admin,
		body: `{"user":{"email":"kick@example.test","password":"a long passphrase"},"registration":{"applicationId":"` + storeApp + `"}}`}); res.status != 200 {
		t.Fatalf("an API key is not limited by address: %d %s", res.status, res.body)
	}
}
