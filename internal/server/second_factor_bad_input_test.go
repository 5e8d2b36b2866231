package server_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSecondFactorAndRecoveryBadInput (adversarial): NUL characters,
// huge and wrong-typed values in the second-factor, passwordless, passkey
// and account-recovery routes are answered as FusionAuth answers bad input
// (400, 404 for an id or login id that names nothing, 413), never 500, and
// the same on both backends (run with LATCHKEY_TEST_POSTGRES_DSN: a NUL in
// a query's text is an error on PostgreSQL, so ids are checked to be UUIDs
// and a login id with a control character is found nowhere before any
// query).
func TestSecondFactorAndRecoveryBadInput(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, tn *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
		tn.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true,
			Bootstrap: storage.WebAuthnWorkflow{Enabled: true}, Reauthentication: storage.WebAuthnWorkflow{Enabled: true}}
	})
	jwt := s.jwtFor()
	key := map[string]string{"Authorization": apiKey}
	bearer := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}
	nul := `a\u0000b`
	huge := strings.Repeat("x", 900000)
	enableTOTP(t, s)
	res := s.login(storeApp, key)
	id, _ := res.json(t)["twoFactorId"].(string)
	cases := []struct {
		name string
		want int
		c    call
	}{
		{"2fa login device NUL", 200, call{method: "POST", path: "/api/two-factor/login", hdr: map[string]string{"Origin": storeSite},
			body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `","metaData":{"device":{"name":"` + nul + `","description":"` + nul + `","type":"` + nul + `"}}}`}},
		{"2fa login NUL id", 404, call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + nul + `","code":"123456"}`}},
		{"2fa login types", 400, call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":1,"code":{"a":1},"trustComputer":"yes"}`}},
		{"2fa login huge", 413, call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + huge + `","code":"` + huge + `"}`}},
		{"2fa send NUL", 404, call{method: "POST", path: "/api/two-factor/send/" + "a%00b", body: `{"methodId":"` + nul + `"}`}},
		{"2fa start NUL loginId", 404, call{method: "POST", path: "/api/two-factor/start", hdr: key, body: `{"loginId":"` + nul + `"}`}},
		{"2fa start NUL userId", 404, call{method: "POST", path: "/api/two-factor/start", hdr: key, body: `{"userId":"` + nul + `"}`}},
		{"2fa start NUL code/challenge/state", 400, call{method: "POST", path: "/api/two-factor/start", hdr: key,
			body: `{"userId":"` + aliceID + `","code":"` + nul + `","trustChallenge":"` + nul + `","state":{"k":"` + nul + `"},"applicationId":"` + nul + `"}`}},
		{"2fa status NUL", 400, call{method: "POST", path: "/api/two-factor/status", hdr: key, body: `{"userId":"` + nul + `","applicationId":"` + nul + `","twoFactorTrustId":"` + nul + `","action":"` + nul + `"}`}},
		{"2fa status types", 400, call{method: "POST", path: "/api/two-factor/status", hdr: key, body: `{"userId":1,"action":[]}`}},
		{"enable email NUL", 400, call{method: "POST", path: "/api/user/two-factor", hdr: bearer, body: `{"method":"email","email":"` + nul + `@x.test","code":"123456","name":"` + nul + `"}`}},
		{"2fa send enable NUL", 400, call{method: "POST", path: "/api/two-factor/send", hdr: bearer, body: `{"method":"email","email":"a` + nul + `@x.test"}`}},
		{"rename NUL", 404, call{method: "PUT", path: "/api/user/two-factor/" + aliceID, hdr: key, body: `{"methodId":"` + nul + `","name":"` + nul + `"}`}},
		{"disable NUL", 400, call{method: "DELETE", path: "/api/user/two-factor?methodId=a%00b&code=1%002", hdr: bearer}},
		{"pwless start NUL key", 404, call{method: "POST", path: "/api/passwordless/start", hdr: key, body: `{"applicationId":"` + storeApp + `","loginId":"` + nul + `","state":{"a":"` + nul + `"}}`}},
		{"pwless start NUL keyless", 200, call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Origin": storeSite}, body: `{"applicationId":"` + storeApp + `","loginId":"` + nul + `"}`}},
		{"pwless start NUL app", 400, call{method: "POST", path: "/api/passwordless/start", hdr: key, body: `{"applicationId":"` + nul + `","loginId":"x"}`}},
		{"pwless login NUL", 404, call{method: "POST", path: "/api/passwordless/login", body: `{"code":"` + nul + `","oneTimeCode":"` + nul + `","applicationId":"` + nul + `","twoFactorTrustId":"` + nul + `"}`}},
		{"pwless send NUL", 200, call{method: "POST", path: "/api/passwordless/send", body: `{"code":"` + nul + `"}`}},
		{"webauthn start NUL key", 400, call{method: "POST", path: "/api/webauthn/start", hdr: key, body: `{"applicationId":"` + storeApp + `","workflow":"bootstrap","loginId":"` + nul + `"}`}},
		{"webauthn start NUL app", 400, call{method: "POST", path: "/api/webauthn/start", body: `{"applicationId":"` + nul + `","workflow":"bootstrap"}`}},
		{"webauthn reg start NUL", 200, call{method: "POST", path: "/api/webauthn/register/start", hdr: bearer, body: `{"displayName":"` + nul + `","name":"` + nul + `","workflow":"bootstrap","userAgent":"` + nul + `"}`}},
		{"webauthn get NUL", 400, call{method: "GET", path: "/api/webauthn/a%00b", hdr: key}},
		{"webauthn list NUL", 400, call{method: "GET", path: "/api/webauthn?userId=a%00b", hdr: key}},
		{"forgot NUL", 404, call{method: "POST", path: "/api/user/forgot-password", hdr: key, body: `{"loginId":"` + nul + `","applicationId":"` + storeApp + `","state":{"a":"` + nul + `"}}`}},
		{"forgot NUL keyless", 200, call{method: "POST", path: "/api/user/forgot-password", body: `{"loginId":"` + nul + `"}`}},
		{"change NUL id", 404, call{method: "POST", path: "/api/user/change-password/a%00b", body: `{"password":"new long passphrase 1"}`}},
		{"change NUL login", 400, call{method: "POST", path: "/api/user/change-password", hdr: key, body: `{"loginId":"` + nul + `","password":"new long passphrase 1"}`}},
		{"change NUL trust", 400, call{method: "POST", path: "/api/user/change-password", hdr: bearer, body: `{"currentPassword":"` + nul + `","password":"` + nul + `xxxxxxxxxxxx","trustToken":"` + nul + `","trustChallenge":"` + nul + `"}`}},
		{"check change NUL", 404, call{method: "GET", path: "/api/user/change-password?loginId=a%00b", hdr: key}},
		{"verify NUL", 404, call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + nul + `","oneTimeCode":"` + nul + `"}`}},
		{"verify resend NUL", 400, call{method: "PUT", path: "/api/user/verify-email?email=a%00b&applicationId=a%00b", hdr: key}},
		{"verify reg NUL", 404, call{method: "POST", path: "/api/user/verify-registration", body: `{"verificationId":"` + nul + `","oneTimeCode":"` + nul + `"}`}},
		{"recovery NUL", 400, call{method: "POST", path: "/api/user/two-factor/recovery-code/a%00b", hdr: key}},
	}
	for _, c := range cases {
		if r := s.do(c.c); r.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.want)
		}
	}
}

// TestTwoFactorStartAndRenameBadInput: each property of
// /api/two-factor/start and PUT /api/user/two-factor/{userId} with a NUL
// on its own: an applicationId that is not a UUID is 400, a methodId with
// a NUL names no method (404), a name to store with a NUL is 400 (no
// backend stores one: storage.ErrNUL) and the properties only echoed are
// accepted; never 500 on either backend.
func TestTwoFactorStartAndRenameBadInput(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	nul := `a\u0000b`
	enableTOTP(t, s)
	ms, err := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
	must(t, err)
	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"start code", "POST", "/api/two-factor/start", `{"userId":"` + aliceID + `","code":"` + nul + `"}`, 200},
		{"start challenge", "POST", "/api/two-factor/start", `{"userId":"` + aliceID + `","trustChallenge":"` + nul + `"}`, 200},
		{"start state", "POST", "/api/two-factor/start", `{"userId":"` + aliceID + `","state":{"k":"` + nul + `"}}`, 200},
		{"start app", "POST", "/api/two-factor/start", `{"userId":"` + aliceID + `","applicationId":"` + nul + `"}`, 400},
		{"rename methodId", "PUT", "/api/user/two-factor/" + aliceID, `{"methodId":"` + nul + `","name":"x"}`, 404},
		{"rename name", "PUT", "/api/user/two-factor/" + aliceID, `{"methodId":"` + ms[0].ID + `","name":"` + nul + `"}`, 400},
	} {
		if r := s.do(call{method: c.method, path: c.path, hdr: key, body: c.body}); r.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.want)
		}
	}
}
