package server_test

import (
	"net/url"
	"testing"
	"time"
)

// TestLogin242 pins /api/login's 242 and the password grant's
// two_factor_required (accounts spec §10.8, §10.10): no token, no cookie,
// no refresh token; the second step answers exactly like /api/login.
func TestLogin242(t *testing.T) {
	s := newStack(t)
	jwt := s.jwtFor()
	res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite},
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
	if res.status != 200 {
		t.Fatalf("enable: %d %s", res.status, res.body)
	}
	tokensBefore, _ := s.Store.ListRefreshTokens(t.Context(), aliceID)

	res = s.login(storeApp, map[string]string{"Authorization": apiKey, "Cookie": "fusionauth.trust=forged-value"})
	if res.status != 242 {
		t.Fatalf("login of a two-factor user: %d %s", res.status, res.body)
	}
	managementGolden(t, "login-242", res.status, methodIDs(twoFactorID(res.body)))
	for _, c := range res.header.Values("Set-Cookie") {
		if c[:len("fusionauth.trust=;")] != "fusionauth.trust=;" {
			t.Fatalf("a 242 set a cookie other than clearing the trust cookie: %s", c)
		}
	}
	if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(tokensBefore) {
		t.Fatal("a 242 wrote a refresh token")
	}
	id := res.json(t)["twoFactorId"].(string)
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "POST", path: "/api/two-factor/login", hdr: map[string]string{"Origin": storeSite},
		body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `"}`})
	if res.status != 200 || cookieValue(res, "refresh_token") == "" || cookieValue(res, "access_token") == "" {
		t.Fatalf("second step: %d %s", res.status, res.body)
	}
	if c := s.validate(res.json(t)["token"].(string)); c["authenticationType"] != "PASSWORD" {
		t.Fatalf("claims after two factors: %v", c)
	}

	// The password grant refuses with FusionAuth's two_factor_required.
	form := url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass}, "client_id": {storeApp}}
	res = s.do(call{method: "POST", path: "/oauth2/token", body: form.Encode(), hdr: map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Authorization": basicAuth(storeApp, secret)}})
	if res.status != 400 {
		t.Fatalf("password grant: %d %s", res.status, res.body)
	}
	tokenGolden(t, "oauth_login_two_factor_required", methodIDs(res.body))
}
