package server_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loggedStack is newStack's world with the logger at debug into buf.
func loggedStack(t *testing.T, buf *loghygiene.Buffer) *stack {
	t.Helper()
	return newLoggedStack(t, loghygiene.NewLogger(buf))
}

// TestLogHygiene is security-bar.md G1 (and the logging halves of A1, R11,
// §4.5 log injection): the whole token life cycle and its failures run with
// the logger at debug; the log then holds no password, refresh token, JWT,
// client secret, API key (presented in the header or the query string), or
// Cookie / Authorization value; a loginId carrying CR/LF forges no line; and
// each security event is present with user, application and ip.
func TestLogHygiene(t *testing.T) {
	var buf loghygiene.Buffer
	s := loggedStack(t, &buf)
	wrongKey := "wrong-api-key-0000111122223333444455556666"
	forged := "mallory@example.test\r\nlevel=INFO msg=\"security event\" event=login_success user_id=" + aliceID
	secrets := []string{alicePass, apiKey, wrongKey, secret, "Wr0ng-but-secret-password"}

	login := s.login(storeApp, nil)
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	rt1, jwt := login.json(t)["refreshToken"].(string), login.json(t)["token"].(string)
	rot := s.do(refreshCall("refresh_token="+rt1, "", storeSite))
	if rot.status != 200 {
		t.Fatalf("refresh: %d %s", rot.status, rot.body)
	}
	rt2 := rot.json(t)["refreshToken"].(string)
	s.Clock.Advance(auth.DefaultRetryWindow + time.Second)
	if res := s.do(refreshCall("refresh_token="+rt1, "", storeSite)); res.status != 404 {
		t.Fatalf("reuse: %d", res.status)
	}
	again := s.login(storeApp, nil)
	rt3 := again.json(t)["refreshToken"].(string)
	if res := s.do(call{method: "POST", path: "/api/logout", hdr: map[string]string{"Cookie": "refresh_token=" + rt3}}); res.status != 200 {
		t.Fatalf("logout: %d %s", res.status, res.body)
	}
	grant := s.do(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {"password"}, "client_id": {storeApp}, "client_secret": {secret},
			"username": {aliceEmail}, "password": {alicePass}}.Encode()})
	if grant.status != 200 {
		t.Fatalf("password grant: %d %s", grant.status, grant.body)
	}
	secrets = append(secrets, rt1, rt2, rt3, jwt, grant.json(t)["access_token"].(string))
	if v, ok := grant.json(t)["refresh_token"].(string); ok {
		secrets = append(secrets, v)
	}
	for _, id := range []string{forged, aliceEmail, aliceEmail, aliceEmail} { // the last three lock alice
		res := s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":` + jsonString(id) + `,"password":"Wr0ng-but-secret-password","applicationId":"` + storeApp + `"}`})
		if res.status != 404 {
			t.Fatalf("failed login: %d", res.status)
		}
	}
	for _, c := range []call{
		{method: "GET", path: "/api/user/" + aliceID, hdr: map[string]string{"Authorization": wrongKey}},
		{method: "GET", path: "/api/user/" + aliceID + "?apiKey=" + apiKey},
		{method: "GET", path: "/api/user/" + aliceID},
	} {
		if res := s.do(c); res.status != 401 {
			t.Fatalf("%s: %d", c.path, res.status)
		}
	}

	logs := buf.String()
	if !strings.Contains(logs, "level=DEBUG msg=request") {
		t.Fatal("the access log did not run at debug: the scan below would prove nothing")
	}
	if leaks := loghygiene.Leaks(logs, secrets...); len(leaks) != 0 {
		t.Errorf("secrets in the log: %v", leaks)
	}
	for _, bad := range []string{"Cookie", "Authorization", "refresh_token=", "mallory"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the log mentions %q", bad)
		}
	}
	if lines := loghygiene.ForeignLines(logs); len(lines) != 0 {
		t.Errorf("forged or broken log lines: %q", lines)
	}

	want := []struct {
		event, outcome string
	}{
		{"login_success", "success"}, {"refresh", "success"}, {"refresh_token_reuse", "family_revoked"},
		{"logout", ""}, {"login_failure", "wrong_password"}, {"account_locked", "locked"},
		{"api_key_failure", "refused"},
	}
	events := loghygiene.Events(logs)
	for _, w := range want {
		t.Run(w.event, func(t *testing.T) {
			for _, e := range events {
				if e["event"] != w.event || (w.outcome != "" && e["outcome"] != w.outcome) {
					continue
				}
				if e["ip"] != "127.0.0.1" || !strings.HasPrefix(e["time"], "20") {
					t.Fatalf("event without ip or time: %v", e)
				}
				if w.event != "api_key_failure" && (e["user_id"] != aliceID || e["application_id"] != storeApp) {
					t.Fatalf("event without user or application: %v", e)
				}
				return
			}
			t.Fatalf("no %s/%s event among %d", w.event, w.outcome, len(events))
		})
	}
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", `\r`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// TestDebugLogNamesRoutesNotTheirSecrets (security-bar.md G1): identifiers
// that are secrets travel in paths (a changePasswordId sets the password, a
// twoFactorTrustId skips the second factor, a verificationId verifies the
// address) and codes in query strings (PKCE challenge, state, an upstream
// provider's code). With the logger at debug the log holds none of them,
// nor the SHA-256 that storage keeps of them; each request's line still
// names its route (the route table's pattern), and so do the
// api_key_failure and rate_limited events of requests on such paths.
func TestDebugLogNamesRoutesNotTheirSecrets(t *testing.T) {
	var buf loghygiene.Buffer
	s := newLoggedStack(t, loghygiene.NewLogger(&buf), func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.EmailConfiguration.VerifyEmail = true
	})
	key := map[string]string{"Authorization": apiKey}
	ok := func(c call, want int) result {
		t.Helper()
		res := s.do(c)
		if res.status != want {
			t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, res.status, res.body, want)
		}
		return res
	}

	// A trust from a second step with trustComputer.
	ok(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: key,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`}, 200)
	login := s.login(storeApp, key)
	if login.status != 242 {
		t.Fatalf("login of a two-factor user: %d %s", login.status, login.body)
	}
	twoFactorID := login.json(t)["twoFactorId"].(string)
	s.Clock.Advance(30 * time.Second)
	second := ok(call{method: "POST", path: "/api/two-factor/login",
		body: `{"twoFactorId":"` + twoFactorID + `","code":"` + s.totp(totpTestSecret) + `","trustComputer":true}`}, 200).json(t)
	// The trustToken alice's password change spends, a secret in a body.
	trust, trustToken := second["twoFactorTrustId"].(string), second["trustToken"].(string)
	ok(call{method: "GET", path: "/api/two-factor/status/" + trust + "?userId=" + aliceID + "&applicationId=" + storeApp, hdr: key}, 200)
	ok(call{method: "GET", path: "/api/two-factor/status/" + trust, hdr: map[string]string{"Authorization": "wrong-api-key-0000111122223333444455556666"}}, 401)

	// A verificationId, in the path and in a query string.
	bob := "0f1a2b3c-0000-4000-8000-0000000000b7"
	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: bob, TenantID: tenantID, Active: true,
		Email: "bob@example.test", Username: "bob"}))
	verification := ok(call{method: "PUT", path: "/api/user/verify-email?email=bob@example.test&sendVerifyEmail=false", hdr: key}, 200).
		json(t)["verificationId"].(string)
	ok(call{method: "GET", path: "/api/user?verificationId=" + verification, hdr: key}, 200)
	ok(call{method: "POST", path: "/api/user/verify-email/" + verification, hdr: map[string]string{"Content-Type": "text/plain"}}, 200)

	// A changePasswordId: checked, then spent to set the password.
	changeID := ok(call{method: "POST", path: "/api/user/forgot-password", hdr: key,
		body: `{"loginId":"` + aliceEmail + `","sendForgotPasswordMessage":false}`}, 200).json(t)["changePasswordId"].(string)
	ok(call{method: "GET", path: "/api/user/change-password/" + changeID}, 400) // [TrustTokenRequired]: alice has an authenticator
	ok(call{method: "POST", path: "/api/user/change-password/" + changeID,
		body: `{"password":"an entirely new passphrase","trustToken":"` + trustToken + `"}`}, 200)

	// Refused by the per-address limit (20 a minute): the rate_limited
	// event names the route too.
	limited := false
	for range 30 {
		if s.do(call{method: "GET", path: "/api/user/change-password/" + changeID}).status == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("no 429 from /api/user/change-password in 30 requests")
	}

	// Codes in query strings, and a secret in a path no route matches.
	challenge, state, upstream, stray := "pkce-challenge-"+rand.Text(), "state-"+rand.Text(), "upstream-code-"+rand.Text(), "stray-"+rand.Text()
	s.do(call{method: "GET", path: "/oauth2/authorize?client_id=" + storeApp + "&response_type=code&redirect_uri=" + url.QueryEscape(storeSite+"/cb") +
		"&code_challenge=" + challenge + "&code_challenge_method=S256&state=" + state})
	ok(call{method: "GET", path: "/oauth2/callback?code=" + upstream + "&state=" + state}, 400)
	ok(call{method: "GET", path: "/api/no-such-thing/" + stray, hdr: key}, 404)

	logs := buf.String()
	if !strings.Contains(logs, "level=DEBUG msg=request") {
		t.Fatal("the access log did not run at debug: the scan below would prove nothing")
	}
	var secrets []string
	for _, v := range []string{trust, trustToken, verification, changeID} {
		h := sha256.Sum256([]byte(v))
		secrets = append(secrets, v, hex.EncodeToString(h[:]), base64.StdEncoding.EncodeToString(h[:]),
			base64.RawURLEncoding.EncodeToString(h[:]), base64.RawStdEncoding.EncodeToString(h[:]))
	}
	secrets = append(secrets, challenge, state, upstream, stray)
	if leaks := loghygiene.Leaks(logs, secrets...); len(leaks) != 0 {
		t.Errorf("secrets in the debug log: %v", leaks)
	}

	logged := map[string]int{}
	for _, r := range loghygiene.Records(logs) {
		if r["msg"] == "request" {
			logged[r["route"]]++
		}
	}
	for _, route := range []string{
		"GET /api/two-factor/status/{twoFactorTrustId}", "POST /api/user/verify-email/{verificationId}", "GET /api/user",
		"GET /api/user/change-password/{changePasswordId}", "POST /api/user/change-password/{changePasswordId}",
		"GET /oauth2/authorize", "GET /oauth2/callback", "unmatched",
	} {
		if logged[route] == 0 {
			t.Errorf("no request line names the route %q; lines by route: %v", route, logged)
		}
	}
	events := map[string]string{}
	for _, e := range loghygiene.Events(logs) {
		events[e["event"]] = e["route"]
	}
	if events["api_key_failure"] != "GET /api/two-factor/status/{twoFactorTrustId}" ||
		events["rate_limited"] != "GET /api/user/change-password/{changePasswordId}" {
		t.Errorf("security events name routes %v, want the refused key's and the limited request's", events)
	}
}
