package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// startNamed starts a passkey ceremony that names the user (API key; who is
// `"userId":"…"` or `"loginId":"…"`).
func (s *stack) startNamed(workflow, who string) options {
	s.t.Helper()
	return s.options(s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","workflow":"` + workflow + `",` + who + `,"origin":"` + storeSite + `"}`}))
}

// storedPasskey is the stored record of a's credential.
func (s *stack) storedPasskey(userID string, a *passkeytest.Authenticator) storage.WebAuthnCredential {
	s.t.Helper()
	cs, err := s.Store.ListWebAuthnCredentials(s.t.Context(), userID)
	must(s.t, err)
	for _, c := range cs {
		if bytes.Equal(c.CredentialID, a.CredentialID) {
			return c
		}
	}
	s.t.Fatalf("passkey %x of %s not stored", a.CredentialID, userID)
	return storage.WebAuthnCredential{}
}

// twoPasskeys registers two passkeys for alice.
func twoPasskeys(t *testing.T, s *stack) (first, second *passkeytest.Authenticator) {
	jwt := s.jwtFor()
	first, second = passkeytest.New(), passkeytest.New()
	for _, a := range []*passkeytest.Authenticator{first, second} {
		if res := s.registerPasskey(jwt, a); res.status != 200 {
			t.Fatalf("register: %d %s", res.status, res.body)
		}
	}
	return first, second
}

// TestPasskeyNamedLoginWithTwoPasskeys: a ceremony that names the user
// (by userId or loginId) allows all of the user's passkeys, and an
// assertion from any one of them logs in (bootstrap) or is verified
// (reauthentication); only the presented passkey's counter moves.
func TestPasskeyNamedLoginWithTwoPasskeys(t *testing.T) {
	s := passkeyStack(t)
	first, second := twoPasskeys(t, s)
	for _, tc := range []struct {
		name, who string
		a, other  *passkeytest.Authenticator
	}{
		{"userId, first passkey", `"userId":"` + aliceID + `"`, first, second},
		{"userId, second passkey", `"userId":"` + aliceID + `"`, second, first},
		{"loginId, first passkey", `"loginId":"` + aliceEmail + `"`, first, second},
		{"loginId, second passkey", `"loginId":"` + aliceEmail + `"`, second, first},
	} {
		otherBefore := s.storedPasskey(aliceID, tc.other)
		o := s.startNamed("bootstrap", tc.who)
		res := s.passkeyLogin(tc.a.Get(rpID, o.Options.Challenge, storeSite))
		if res.status != 200 || cookieValue(res, "refresh_token") == "" {
			t.Fatalf("%s: %d %s", tc.name, res.status, res.body)
		}
		if sub := s.validate(res.json(t)["token"].(string))["sub"]; sub != aliceID {
			t.Fatalf("%s: logged in as %v", tc.name, sub)
		}
		if got := s.storedPasskey(aliceID, tc.a).SignCount; got != tc.a.SignCount {
			t.Fatalf("%s: presented passkey's counter %d, want %d", tc.name, got, tc.a.SignCount)
		}
		if got := s.storedPasskey(aliceID, tc.other); got.SignCount != otherBefore.SignCount || got.LastUseInstant != otherBefore.LastUseInstant {
			t.Fatalf("%s: the other passkey changed: %+v, was %+v", tc.name, got, otherBefore)
		}
	}

	// Re-authentication with either passkey answers the presented one.
	for _, a := range []*passkeytest.Authenticator{first, second} {
		o := s.startNamed("reauthentication", `"userId":"`+aliceID+`"`)
		res := s.do(call{method: "POST", path: "/api/webauthn/assert", hdr: map[string]string{"Origin": storeSite},
			body: `{"credential":` + string(a.Get(rpID, o.Options.Challenge, storeSite)) + `}`})
		if res.status != 200 {
			t.Fatalf("reauthentication: %d %s", res.status, res.body)
		}
		var out struct {
			Credential struct {
				ID        string `json:"id"`
				SignCount uint32 `json:"signCount"`
			} `json:"credential"`
		}
		must(t, json.Unmarshal(res.body, &out))
		if want := s.storedPasskey(aliceID, a); out.Credential.ID != want.ID || out.Credential.SignCount != a.SignCount || want.SignCount != a.SignCount {
			t.Fatalf("reauthentication answered %s, want passkey %s at %d (stored %d)", res.body, want.ID, a.SignCount, want.SignCount)
		}
	}
}

// TestPasskeyNamedLoginRefusesAnotherUsersOrForgedPasskey: with all of
// alice's passkeys allowed, bob's passkey still cannot answer her ceremony,
// nor can one of her passkeys' ids with a signature made by her other
// passkey's key; neither issues a token or moves any counter.
func TestPasskeyNamedLoginRefusesAnotherUsersOrForgedPasskey(t *testing.T) {
	s := passkeyStack(t)
	first, second := twoPasskeys(t, s)
	// The named login works (the refusals below are not a broken ceremony).
	o := s.startNamed("bootstrap", `"userId":"`+aliceID+`"`)
	if res := s.passkeyLogin(first.Get(rpID, o.Options.Challenge, storeSite)); res.status != 200 {
		t.Fatalf("alice's named login: %d %s", res.status, res.body)
	}

	bobID := "0f1a2b3c-0000-4000-8000-0000000000b2"
	must(t, s.Store.CreateUser(t.Context(), storage.User{ID: bobID, TenantID: tenantID, Active: true, Email: "bob@example.test"}))
	bob := passkeytest.New()
	hdr := map[string]string{"Authorization": apiKey}
	ro := s.options(s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"userId":"` + bobID + `","displayName":"Bob","workflow":"bootstrap","origin":"` + storeSite + `"}`}))
	uh, _ := base64.RawURLEncoding.DecodeString(ro.Options.User.ID)
	if res := s.do(call{method: "POST", path: "/api/webauthn/register/complete", hdr: hdr,
		body: `{"userId":"` + bobID + `","credential":` + string(bob.Create(rpID, ro.Options.Challenge, storeSite, uh)) + `}`}); res.status != 200 {
		t.Fatalf("bob's register: %d %s", res.status, res.body)
	}
	// forged claims to be first but signs with second's key.
	forged := *first
	forged.Key, forged.SignCount = second.Key, first.SignCount+10

	before := map[string]storage.WebAuthnCredential{
		"first": s.storedPasskey(aliceID, first), "second": s.storedPasskey(aliceID, second), "bob": s.storedPasskey(bobID, bob)}
	tokens, err := s.Store.ListRefreshTokens(t.Context(), aliceID)
	must(t, err)
	bobTokens, err := s.Store.ListRefreshTokens(t.Context(), bobID)
	must(t, err)

	for _, tc := range []struct {
		name, workflow string
		a              *passkeytest.Authenticator
	}{
		{"bob's passkey, login", "bootstrap", bob},
		{"bob's passkey, reauthentication", "reauthentication", bob},
		{"forged signature, login", "bootstrap", &forged},
		{"forged signature, reauthentication", "reauthentication", &forged},
	} {
		o := s.startNamed(tc.workflow, `"userId":"`+aliceID+`"`)
		path := "/api/webauthn/login"
		if tc.workflow == "reauthentication" {
			path = "/api/webauthn/assert"
		}
		res := s.do(call{method: "POST", path: path, hdr: map[string]string{"Origin": storeSite},
			body: `{"credential":` + string(tc.a.Get(rpID, o.Options.Challenge, storeSite)) + `}`})
		if res.status != 400 || len(res.header.Values("Set-Cookie")) != 0 || bytes.Contains(res.body, []byte(`"token"`)) {
			t.Fatalf("%s: %d %s", tc.name, res.status, res.body)
		}
	}

	after := map[string]storage.WebAuthnCredential{
		"first": s.storedPasskey(aliceID, first), "second": s.storedPasskey(aliceID, second), "bob": s.storedPasskey(bobID, bob)}
	for k, b := range before {
		if a := after[k]; a.SignCount != b.SignCount || a.LastUseInstant != b.LastUseInstant {
			t.Errorf("%s passkey changed by a refused assertion: %+v, was %+v", k, a, b)
		}
	}
	if now, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(now) != len(tokens) {
		t.Errorf("alice's refresh tokens: %d, were %d", len(now), len(tokens))
	}
	if now, _ := s.Store.ListRefreshTokens(t.Context(), bobID); len(now) != len(bobTokens) {
		t.Errorf("bob's refresh tokens: %d, were %d", len(now), len(bobTokens))
	}
}
