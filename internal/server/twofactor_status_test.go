package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTwoFactorStatus pins GET/POST /api/two-factor/status (accounts spec
// §10.9, TS retrieveTwoFactorStatus[Using]): 200 when a login presenting
// the trust would need no second factor, 242 when it would; the trust is
// described only while it is live, the user's and under the same password.
func TestTwoFactorStatus(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	status := func(trust, userID string) result {
		t.Helper()
		path := "/api/two-factor/status"
		if trust != "" {
			path += "/" + trust
		}
		return s.do(call{method: "GET", path: path + "?userId=" + userID + "&applicationId=" + storeApp, hdr: key})
	}
	if res := status("", aliceID); res.status != 200 || string(res.body) != "{}\n" {
		t.Fatalf("a user without methods: %d %s", res.status, res.body)
	}

	res := s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: key,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
	if res.status != 200 {
		t.Fatalf("enable: %d %s", res.status, res.body)
	}
	if res := status("", aliceID); res.status != 242 || string(res.body) != "{}\n" {
		t.Fatalf("a two-factor user without a trust: %d %s", res.status, res.body)
	}

	// A trust from a completed second step: 200 and the trust.
	res = s.login(storeApp, key)
	id := res.json(t)["twoFactorId"].(string)
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "POST", path: "/api/two-factor/login",
		body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `","trustComputer":true}`})
	trust, _ := res.json(t)["twoFactorTrustId"].(string)
	if res.status != 200 || trust == "" {
		t.Fatalf("second step with trustComputer: %d %s", res.status, res.body)
	}
	res = status(trust, aliceID)
	var got struct {
		Trusts []struct {
			ApplicationID string `json:"applicationId"`
			Expiration    int64  `json:"expiration"`
			StartInstant  int64  `json:"startInstant"`
		} `json:"trusts"`
		TwoFactorTrustID string `json:"twoFactorTrustId"`
	}
	must(t, json.Unmarshal(res.body, &got))
	now := s.Clock.Now().UnixMilli()
	if res.status != 200 || got.TwoFactorTrustID != trust || len(got.Trusts) != 1 || got.Trusts[0].ApplicationID != storeApp ||
		got.Trusts[0].StartInstant != now || got.Trusts[0].Expiration != now+30*24*3600*1000 {
		t.Fatalf("trusted: %d %s", res.status, res.body)
	}
	// The POST form says the same.
	res = s.do(call{method: "POST", path: "/api/two-factor/status", hdr: key,
		body: `{"userId":"` + aliceID + `","applicationId":"` + storeApp + `","twoFactorTrustId":"` + trust + `","action":"login"}`})
	if res.status != 200 || !strings.Contains(string(res.body), trust) {
		t.Fatalf("POST: %d %s", res.status, res.body)
	}

	// Another user presenting alice's trust: 242, and nothing about it.
	res = s.do(call{method: "POST", path: "/api/user", hdr: key,
		body: `{"user":{"email":"mallory@example.test","password":"another long passphrase"}}`})
	if res.status != 200 {
		t.Fatalf("create user: %d %s", res.status, res.body)
	}
	mallory := res.json(t)["user"].(map[string]any)["id"].(string)
	if res := status(trust, mallory); res.status != 200 || strings.Contains(string(res.body), "trusts") {
		t.Fatalf("another user without methods, alice's trust: %d %s", res.status, res.body)
	}
	// A forged or expired trust: 242 and no trust.
	if res := status("forged-value", aliceID); res.status != 242 || string(res.body) != "{}\n" {
		t.Fatalf("forged trust: %d %s", res.status, res.body)
	}
	// A new password ends the trust, as at /api/login.
	res = s.do(call{method: "PATCH", path: "/api/user/" + aliceID, hdr: key, body: `{"user":{"password":"a brand new passphrase"}}`})
	if res.status != 200 {
		t.Fatalf("password change: %d %s", res.status, res.body)
	}
	if res := status(trust, aliceID); res.status != 242 || string(res.body) != "{}\n" {
		t.Fatalf("trust after a password change: %d %s", res.status, res.body)
	}

	// Bad input: FusionAuth's answers, never a 500.
	for name, tc := range map[string]struct {
		method, path, body string
		hdr                map[string]string
		want               int
	}{
		"no key":       {"GET", "/api/two-factor/status?userId=" + aliceID, "", nil, 401},
		"no userId":    {"GET", "/api/two-factor/status", "", key, 400},
		"bad userId":   {"GET", "/api/two-factor/status?userId=x", "", key, 400},
		"unknown user": {"GET", "/api/two-factor/status?userId=0f1a2b3c-0000-4000-8000-00000000dead", "", key, 404},
		"unknown app":  {"GET", "/api/two-factor/status?userId=" + aliceID + "&applicationId=0f1a2b3c-0000-4000-8000-00000000dead", "", key, 400},
		"bad app":      {"GET", "/api/two-factor/status?userId=" + aliceID + "&applicationId=nope", "", key, 400},
		"huge trust":   {"GET", "/api/two-factor/status/" + strings.Repeat("x", 5000) + "?userId=" + aliceID, "", key, 242},
		"POST no body": {"POST", "/api/two-factor/status", `{}`, key, 400},
		"POST array":   {"POST", "/api/two-factor/status", `[]`, key, 400},
	} {
		res := s.do(call{method: tc.method, path: tc.path, body: tc.body, hdr: tc.hdr})
		if res.status != tc.want {
			t.Errorf("%s: %d, want %d: %s", name, res.status, tc.want, res.body)
		}
	}
	res = s.do(call{method: "GET", path: "/api/two-factor/status", hdr: key})
	managementGolden(t, "two-factor-status-400", res.status, res.body)
}
