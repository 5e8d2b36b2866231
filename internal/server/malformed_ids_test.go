package server_test

import (
	"bytes"
	"fmt"
	"testing"
)

// TestMalformedIDsAreRefused: an id in the body, the query or the URL that
// is not a UUID is 400 [couldNotConvert]<field>, as a malformed path id is
// (pathID) and as the searches' filters are (paging_params_test.go),
// wherever it is read: passkey registration and two-factor send used to
// answer an empty 404 and [missing]userId, GET and DELETE
// /api/jwt/refresh/{tokenId} and the public key by applicationId an empty
// 404, the administrative email verification 404, and DELETE
// /api/jwt/refresh ?userId= [invalid]userId where GET answered
// [couldNotConvert]userId. A well-formed id naming no user is 400
// [invalid]userId on both GET and DELETE /api/webauthn, as FusionAuth's one
// validation of the two answers (DELETE answered an empty 404).
// FusionAuth's registration verification, which latchkey does not serve,
// is 404 [NotFound] for every method, with or without a key, not
// /api/user/{id}'s 400 or 401. The refused revocations revoked nothing.
func TestMalformedIDsAreRefused(t *testing.T) {
	s := newStack(t)
	if res := s.login(storeApp, nil); res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	const bad, unknown = "not-a-uuid", "0f1a2b3c-0000-4000-8000-0000000000ff"
	for _, c := range []struct {
		method, path string
		body         any
		keyless      bool
		status       int
		code         string // a field error's code for a 400, else in the body ("" an empty body)
	}{
		{"POST", "/api/webauthn/register/start", map[string]any{"userId": bad, "displayName": "Alice", "workflow": "general"}, false, 400, "[couldNotConvert]userId"},
		{"POST", "/api/two-factor/send", map[string]any{"userId": bad, "method": "email"}, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/jwt/refresh/" + bad, nil, false, 400, "[couldNotConvert]tokenId"},
		{"DELETE", "/api/jwt/refresh/" + bad, nil, false, 400, "[couldNotConvert]tokenId"},
		{"GET", "/api/jwt/refresh?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"DELETE", "/api/jwt/refresh?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"DELETE", "/api/jwt/refresh?applicationId=" + bad, nil, false, 400, "[couldNotConvert]applicationId"},
		{"DELETE", "/api/jwt/refresh", map[string]any{"userId": bad}, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/jwt/public-key?applicationId=" + bad, nil, true, 400, "[couldNotConvert]applicationId"},
		{"POST", "/api/user/verify-email", map[string]any{"userId": bad}, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/webauthn?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"DELETE", "/api/webauthn?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/webauthn?userId=" + unknown, nil, false, 400, "[invalid]userId"},
		{"DELETE", "/api/webauthn?userId=" + unknown, nil, false, 400, "[invalid]userId"},
		{"GET", "/api/user/action?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/system/webhook-event-log/" + bad, nil, false, 400, "[couldNotConvert]webhookEventLogId"},
		{"GET", "/api/system/event-log/" + bad, nil, false, 400, "[couldNotConvert]eventLogId"},
		{"POST", "/api/entity/search", map[string]any{"search": map[string]any{"ids": manyIDs(501)}}, false, 400, "[tooMany]search.ids"},
		{"GET", "/api/entity/" + unknown + "/grant?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"GET", "/api/entity/" + unknown + "/grant?recipientEntityId=" + bad, nil, false, 400, "[couldNotConvert]recipientEntityId"},
		{"DELETE", "/api/entity/" + unknown + "/grant?userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
		{"DELETE", "/api/entity/" + unknown + "/grant?recipientEntityId=" + bad, nil, false, 400, "[couldNotConvert]recipientEntityId"},
		{"DELETE", "/api/group/member?groupId=" + bad + "&userId=" + unknown, nil, false, 400, "[couldNotConvert]groupId"},
		{"DELETE", "/api/group/member?groupId=" + unknown + "&userId=" + bad, nil, false, 400, "[couldNotConvert]userId"},
	} {
		name := c.method + " " + c.path
		if c.keyless {
			name += " without a key"
		}
		t.Run(name, func(t *testing.T) {
			var hdr []string
			if c.keyless {
				hdr = []string{"Authorization", ""}
			}
			res := s.api(c.method, c.path, c.body, hdr...)
			switch {
			case c.status == 400:
				wantRefusedField(t, res, c.code)
			case res.status != c.status || (c.code == "") != (len(res.body) == 0) || !bytes.Contains(res.body, []byte(c.code)):
				t.Fatalf("%d %s, want %d %q", res.status, res.body, c.status, c.code)
			}
		})
	}

	// The refused revocations revoked nothing: alice's session lives on.
	if ts := s.apiOK("GET", "/api/jwt/refresh?userId="+aliceID, nil)["refreshTokens"].([]any); len(ts) != 1 {
		t.Fatalf("alice's refresh tokens after the refused revocations: %v", ts)
	}
	// Well-formed ids still answer: the user's passkeys (none) and every
	// public key of the application's algorithm.
	s.apiOK("GET", "/api/webauthn?userId="+aliceID, nil)
	s.apiOK("GET", "/api/jwt/public-key?applicationId="+storeApp, nil, "Authorization", "")
}

// manyIDs is n distinct UUIDs.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", i)
	}
	return ids
}
