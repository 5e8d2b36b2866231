package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
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
