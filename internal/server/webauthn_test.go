package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Passkeys through the API with a software authenticator (the browser test
// does the same with Chromium's).

const rpID = "store.example.test"

// passkeyStack enables WebAuthn (both workflows) for the default tenant.
func passkeyStack(t *testing.T) *stack {
	return newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true,
			Bootstrap:        storage.WebAuthnWorkflow{Enabled: true},
			Reauthentication: storage.WebAuthnWorkflow{Enabled: true}}
	})
}

type options struct {
	Options struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"options"`
}

func (s *stack) options(res result) options {
	s.t.Helper()
	if res.status != 200 {
		s.t.Fatalf("start: %d %s", res.status, res.body)
	}
	var o options
	must(s.t, json.Unmarshal(res.body, &o))
	return o
}

// registerPasskey registers a for alice through her JWT and returns the
// complete answer.
func (s *stack) registerPasskey(jwt string, a *passkeytest.Authenticator) result {
	s.t.Helper()
	hdr := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}
	o := s.options(s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"displayName":"Laptop","workflow":"bootstrap","userAgent":"test"}`}))
	uh, _ := base64.RawURLEncoding.DecodeString(o.Options.User.ID)
	cred := a.Create(o.Options.RP.ID, o.Options.Challenge, storeSite, uh)
	return s.do(call{method: "POST", path: "/api/webauthn/register/complete", hdr: hdr,
		body: `{"credential":` + string(cred) + `,"origin":"` + storeSite + `","rpId":"` + rpID + `"}`})
}

// startLogin starts a usernameless passkey login for the Store.
func (s *stack) startLogin() options {
	s.t.Helper()
	return s.options(s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Origin": storeSite},
		body: `{"applicationId":"` + storeApp + `","workflow":"bootstrap"}`}))
}

func (s *stack) passkeyLogin(assertion json.RawMessage) result {
	return s.do(call{method: "POST", path: "/api/webauthn/login", hdr: map[string]string{"Origin": storeSite},
		body: `{"credential":` + string(assertion) + `,"origin":"` + storeSite + `","rpId":"` + rpID + `"}`})
}

func TestPasskeyRegisterAndUsernamelessLogin(t *testing.T) {
	s := passkeyStack(t)
	jwt := s.jwtFor()
	hdr := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}
	res := s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"displayName":"Laptop","workflow":"bootstrap"}`})
	golden(t, "webauthn/register-start", webauthnPlaceholders, 0, res.body)
	if o := s.options(res); o.Options.User.ID != base64.RawURLEncoding.EncodeToString([]byte(aliceID)) || o.Options.RP.ID != rpID {
		t.Fatalf("user handle or rp id: %+v", o.Options)
	}

	a := passkeytest.New()
	res = s.registerPasskey(jwt, a)
	managementGolden(t, "webauthn-register-complete", res.status, credentialBody(res.body))

	o := s.startLogin()
	if o.Options.RPID != rpID {
		t.Fatalf("rpId %q", o.Options.RPID)
	}
	assertion := a.Get(rpID, o.Options.Challenge, storeSite)
	res = s.passkeyLogin(assertion)
	if res.status != 200 {
		t.Fatalf("passkey login: %d %s", res.status, res.body)
	}
	body := res.json(t)
	token, refresh := body["token"].(string), cookieValue(res, "refresh_token")
	if token == "" || refresh == "" || body["refreshToken"] != refresh {
		t.Fatalf("passkey login did not answer like /api/login: %s", res.body)
	}
	claims := s.validate(token)
	if claims["authenticationType"] != "WebAuthn" || claims["sub"] != aliceID {
		t.Fatalf("claims %v", claims)
	}
	id, _ := body["refreshTokenId"].(string)
	if rt, err := s.Store.GetRefreshToken(t.Context(), id); err != nil || rt.UserID != aliceID || !bytes.Equal(rt.Hash, sha(refresh)) {
		t.Fatalf("refresh token %q not recorded: %v", id, err)
	}

	// The same assertion again: its challenge is spent (404), nothing issued.
	res = s.passkeyLogin(assertion)
	if res.status != 404 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("replayed assertion: %d %s", res.status, res.body)
	}
	// A fresh challenge, but the authenticator's counter went back: a cloned
	// key or a recorded assertion re-signed is refused.
	o = s.startLogin()
	a.SignCount -= 2
	res = s.passkeyLogin(a.Get(rpID, o.Options.Challenge, storeSite))
	if res.status != 400 || !strings.Contains(string(res.body), "counter") {
		t.Fatalf("counter regression: %d %s", res.status, res.body)
	}
	a.SignCount += 5
	// Another origin (a phishing page) is refused, whatever the challenge.
	o = s.startLogin()
	res = s.passkeyLogin(a.Get(rpID, o.Options.Challenge, "https://evil.example.test"))
	if res.status != 400 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("wrong origin: %d %s", res.status, res.body)
	}
	managementGolden(t, "webauthn-login-wrong-origin", res.status, res.body)
	// Another RP id in the authenticator data (a look-alike domain).
	o = s.startLogin()
	res = s.passkeyLogin(a.Get("example.test.evil", o.Options.Challenge, storeSite))
	if res.status != 400 {
		t.Fatalf("wrong rp id: %d %s", res.status, res.body)
	}
	// A good login still works after the refusals.
	o = s.startLogin()
	if res := s.passkeyLogin(a.Get(rpID, o.Options.Challenge, storeSite)); res.status != 200 {
		t.Fatalf("login after refusals: %d %s", res.status, res.body)
	}
}

func TestPasskeyRefusals(t *testing.T) {
	s := passkeyStack(t)
	jwt := s.jwtFor()
	a := passkeytest.New()
	if res := s.registerPasskey(jwt, a); res.status != 200 {
		t.Fatalf("register: %d %s", res.status, res.body)
	}
	// The same authenticator cannot be registered twice.
	if res := s.registerPasskey(jwt, a); res.status != 400 {
		t.Fatalf("duplicate: %d %s", res.status, res.body)
	}
	// Packed self attestation is accepted (latchkey's addition).
	p := passkeytest.New()
	p.Format = "packed"
	if res := s.registerPasskey(jwt, p); res.status != 200 {
		t.Fatalf("packed: %d %s", res.status, res.body)
	}
	// A keyless start may not name a user (no account probing).
	res := s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Origin": storeSite},
		body: `{"applicationId":"` + storeApp + `","workflow":"bootstrap","loginId":"` + aliceEmail + `"}`})
	if res.status != 400 {
		t.Fatalf("keyless named start: %d %s", res.status, res.body)
	}
	// A start from an origin no application allows.
	res = s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Origin": "https://evil.example.test"},
		body: `{"applicationId":"` + storeApp + `","workflow":"bootstrap"}`})
	if res.status != 400 && res.status != 403 {
		t.Fatalf("start from a foreign origin: %d %s", res.status, res.body)
	}
	// Bob's passkey cannot answer a ceremony started for alice.
	bobID := "0f1a2b3c-0000-4000-8000-0000000000b2"
	must(t, s.Store.CreateUser(t.Context(), storage.User{ID: bobID, TenantID: tenantID, Active: true, Email: "bob@example.test"}))
	bob := passkeytest.New()
	hdr := map[string]string{"Authorization": apiKey}
	o := s.options(s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"userId":"` + bobID + `","displayName":"Bob","workflow":"bootstrap","origin":"` + storeSite + `"}`}))
	uh, _ := base64.RawURLEncoding.DecodeString(o.Options.User.ID)
	res = s.do(call{method: "POST", path: "/api/webauthn/register/complete", hdr: hdr,
		body: `{"userId":"` + bobID + `","credential":` + string(bob.Create(rpID, o.Options.Challenge, storeSite, uh)) + `}`})
	if res.status != 200 {
		t.Fatalf("bob's register: %d %s", res.status, res.body)
	}
	o = s.options(s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","workflow":"bootstrap","userId":"` + aliceID + `","origin":"` + storeSite + `"}`}))
	res = s.passkeyLogin(bob.Get(rpID, o.Options.Challenge, storeSite))
	if res.status != 400 || !strings.Contains(string(res.body), "credential.id") {
		t.Fatalf("bob's passkey for alice's ceremony: %d %s", res.status, res.body)
	}
	// A registration challenge completed for another user: 404.
	o = s.options(s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"userId":"` + aliceID + `","displayName":"X","workflow":"general","origin":"` + storeSite + `"}`}))
	res = s.do(call{method: "POST", path: "/api/webauthn/register/complete", hdr: hdr,
		body: `{"userId":"` + bobID + `","credential":` + string(passkeytest.New().Create(rpID, o.Options.Challenge, storeSite, uh)) + `}`})
	if res.status != 404 {
		t.Fatalf("cross-user complete: %d %s", res.status, res.body)
	}
	// Alice lists her own passkeys with her JWT and cannot delete bob's.
	me := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}
	res = s.do(call{method: "GET", path: "/api/webauthn", hdr: me})
	var list struct {
		Credentials []struct {
			ID     string `json:"id"`
			UserID string `json:"userId"`
		} `json:"credentials"`
	}
	must(t, json.Unmarshal(res.body, &list))
	if res.status != 200 || len(list.Credentials) != 2 || list.Credentials[0].UserID != aliceID {
		t.Fatalf("own list: %d %s", res.status, res.body)
	}
	bobs, _ := s.Store.ListWebAuthnCredentials(t.Context(), bobID)
	if res := s.do(call{method: "DELETE", path: "/api/webauthn/" + bobs[0].ID, hdr: me}); res.status != 404 {
		t.Fatalf("deleting another user's passkey: %d", res.status)
	}
	if res := s.do(call{method: "DELETE", path: "/api/webauthn/" + list.Credentials[0].ID, hdr: me}); res.status != 200 {
		t.Fatalf("deleting own passkey: %d", res.status)
	}
	// The disabled workflow answers FusionAuth's [disabled]workflow.
	res = s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"userId":"` + aliceID + `","displayName":"X","workflow":"nope","origin":"` + storeSite + `"}`})
	if res.status != 400 {
		t.Fatalf("bad workflow: %d", res.status)
	}
}

// TestPasskeyMalformedPayloads: whatever the credential is, a 400 (or the
// 404 of an unknown challenge), never a 500, and never a cookie.
func TestPasskeyMalformedPayloads(t *testing.T) {
	s := passkeyStack(t)
	jwt := s.jwtFor()
	hdr := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}
	for _, cred := range []string{`null`, `{}`, `[]`, `"x"`, `{"id":"AAAA"}`, `{"id":1,"type":"public-key"}`,
		`{"id":"AAAA","type":"public-key","response":{}}`,
		`{"id":"AAAA","type":"public-key","response":{"clientDataJSON":"!!!","authenticatorData":"","signature":""}}`,
		`{"id":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`,
		`{"id":"AAAA","rawId":"BBBB","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}`,
	} {
		for _, path := range []string{"/api/webauthn/login", "/api/webauthn/assert", "/api/webauthn/register/complete"} {
			res := s.do(call{method: "POST", path: path, hdr: hdr, body: `{"userId":"` + aliceID + `","credential":` + cred + `}`})
			if (res.status != 400 && res.status != 404) || len(res.header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s %s: %d %s", path, cred, res.status, res.body)
			}
		}
	}
}

// credentialBody replaces what is random in a credential answer.
func credentialBody(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if c, ok := m["credential"].(map[string]any); ok {
		c["credentialId"], c["publicKey"] = "<credentialId>", "<publicKey>"
	}
	b, _ := json.Marshal(m)
	return b
}

// validate returns the claims of an access token as /api/jwt/validate
// reads them.
func (s *stack) validate(token string) map[string]any {
	s.t.Helper()
	res := s.do(call{method: "GET", path: "/api/jwt/validate", hdr: map[string]string{"Authorization": "Bearer " + token}})
	if res.status != 200 {
		s.t.Fatalf("validate: %d %s", res.status, res.body)
	}
	jwt, _ := res.json(s.t)["jwt"].(map[string]any)
	return jwt
}

func sha(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// TestPasskeyLoginWithoutUserVerificationIsOneFactor: a passkey registered
// with user verification, then used without it (the workflow only prefers
// UV), is one factor: a user with a second factor is answered 242 with no
// token, not logged in.
func TestPasskeyLoginWithoutUserVerificationIsOneFactor(t *testing.T) {
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true,
			Bootstrap: storage.WebAuthnWorkflow{Enabled: true, UserVerificationRequirement: "preferred"}}
	})
	a := passkeytest.New()
	if res := s.registerPasskey(s.jwtFor(), a); res.status != 200 {
		t.Fatalf("register: %d %s", res.status, res.body)
	}
	enableTOTP(t, s)
	a.UV = false
	res := s.passkeyLogin(a.Get(rpID, s.startLogin().Options.Challenge, storeSite))
	if res.status != 242 || res.json(t)["token"] != nil || cookieValue(res, "refresh_token") != "" {
		t.Fatalf("passkey without user verification for a two-factor user: %d %s", res.status, res.body)
	}
}
