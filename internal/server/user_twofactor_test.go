package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// TestUserResponsesListTwoFactorMethods: the user API's answers carry
// user.twoFactor.methods as FusionAuth's do (two-factor.mdx), never the
// secret or a recovery code, and drop it when the last method goes.
func TestUserResponsesListTwoFactorMethods(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	get := func() (map[string]any, []byte) {
		t.Helper()
		res := s.do(call{method: "GET", path: "/api/user/" + aliceID, hdr: key})
		if res.status != 200 {
			t.Fatalf("get user: %d %s", res.status, res.body)
		}
		return res.json(t)["user"].(map[string]any), res.body
	}
	if u, _ := get(); u["twoFactor"] != nil {
		t.Fatalf("a user without methods has twoFactor %v", u["twoFactor"])
	}

	res := s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: key,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `","name":"Phone"}`})
	var enabled struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	must(t, json.Unmarshal(res.body, &enabled))
	if res.status != 200 || len(enabled.RecoveryCodes) != 10 {
		t.Fatalf("enable: %d %s", res.status, res.body)
	}

	u, body := get()
	tf, _ := json.Marshal(u["twoFactor"])
	if got := string(methodIDs(tf)); got != `{"methods":[{"authenticator":{"algorithm":"HmacSHA1","codeLength":6,"timeStep":30},"id":"<methodId>","lastUsed":true,"method":"authenticator","name":"Phone"}]}` {
		t.Fatalf("user.twoFactor = %s", got)
	}
	for _, secret := range append([]string{totpTestSecret, auth.TOTPBase32(totpTestSecret), "recoveryCodes"}, enabled.RecoveryCodes...) {
		if strings.Contains(string(body), secret) {
			t.Fatalf("the user response holds %q: %s", secret, body)
		}
	}
	// The lookups by login id and the update answers carry it too; sending
	// it back in an update is ignored, not an error.
	res = s.do(call{method: "GET", path: "/api/user?email=" + aliceEmail, hdr: key})
	if res.status != 200 || res.json(t)["user"].(map[string]any)["twoFactor"] == nil {
		t.Fatalf("find by email: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "PATCH", path: "/api/user/" + aliceID, hdr: key,
		body: `{"user":{"firstName":"Ada","twoFactor":{"methods":[]}}}`})
	if res.status != 200 || res.json(t)["user"].(map[string]any)["twoFactor"] == nil {
		t.Fatalf("patch: %d %s", res.status, res.body)
	}
	if ms, _ := s.Store.ListTwoFactorMethods(t.Context(), aliceID); len(ms) != 1 {
		t.Fatalf("a user update changed the methods: %d left", len(ms))
	}

	// A recovery code removes every method; twoFactor goes with them.
	ms, _ := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
	res = s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID, hdr: key,
		body: `{"methodId":"` + ms[0].ID + `","code":"` + enabled.RecoveryCodes[0] + `"}`})
	if res.status != 200 {
		t.Fatalf("disable: %d %s", res.status, res.body)
	}
	if u, _ := get(); u["twoFactor"] != nil {
		t.Fatalf("twoFactor after the last method went: %v", u["twoFactor"])
	}
}
