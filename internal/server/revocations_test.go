package server_test

import (
	"encoding/base64"
	"testing"
)

func basicAuth(id, sec string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+sec))
}

// feed GETs the revocation feed with the given Authorization and query.
func (s *stack) feed(auth, query string) result {
	s.t.Helper()
	return s.do(call{method: "GET", path: "/api/jwt/revocations" + query, hdr: map[string]string{"Authorization": auth}})
}

func sids(t testing.TB, res result) []string {
	t.Helper()
	var out []string
	for _, e := range res.json(t)["revocations"].([]any) {
		out = append(out, e.(map[string]any)["sid"].(string))
	}
	return out
}

// Logout shows up in the application's feed (and only its own), once per
// cursor position; the cursor moves on.
func TestRevocationFeed(t *testing.T) {
	s := newStack(t)
	login := s.login(storeApp, nil).json(t)
	sid, rt := login["refreshTokenId"].(string), login["refreshToken"].(string)
	first := s.feed(basicAuth(storeApp, secret), "")
	if first.status != 200 || len(sids(t, first)) != 0 {
		t.Fatalf("empty feed: %d %s", first.status, first.body)
	}
	cursor := first.json(t)["cursor"].(string)

	s.Clock.Advance(10 * 1e9)
	if res := s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`}); res.status != 200 {
		t.Fatalf("logout %d", res.status)
	}
	s.Clock.Advance(10 * 1e9)
	res := s.feed(basicAuth(storeApp, secret), "?since="+cursor)
	got := sids(t, res)
	if len(got) != 1 || got[0] != sid {
		t.Fatalf("feed after logout = %v, want [%s]", got, sid)
	}
	e := res.json(t)["revocations"].([]any)[0].(map[string]any)
	if e["userId"] != aliceID || e["revokedAt"].(float64) <= 0 {
		t.Fatalf("entry = %v", e)
	}
	// Within the look-back (30 s) a caught-up cursor re-reads the entry (a
	// repeat, by design); once past it, the cursor moves beyond the entry.
	s.Clock.Advance(40 * 1e9)
	repeat := s.feed(basicAuth(storeApp, secret), "?since="+res.json(t)["cursor"].(string))
	if got := sids(t, repeat); len(got) != 1 || got[0] != sid {
		t.Fatalf("poll within the look-back = %v, want [%s] again", got, sid)
	}
	next := repeat.json(t)["cursor"].(string)
	if again := s.feed(basicAuth(storeApp, secret), "?since="+next); len(sids(t, again)) != 0 {
		t.Fatalf("the same revocation listed again after the look-back: %s", again.body)
	}
	// The Forums application does not see the Store's sessions.
	if other := s.feed(basicAuth(forumsApp, secret), ""); len(sids(t, other)) != 0 {
		t.Fatalf("forums feed lists store sessions: %s", other.body)
	}
	// An API key names the application.
	if byKey := s.feed(apiKey, "?applicationId="+storeApp+"&since="+cursor); len(sids(t, byKey)) != 1 {
		t.Fatalf("feed by API key: %d %s", byKey.status, byKey.body)
	}
}

func TestRevocationFeedRefusals(t *testing.T) {
	s := newStack(t)
	for _, tc := range []struct {
		name, auth, query string
		want              int
	}{
		{"no credentials", "", "", 401},
		{"wrong secret", basicAuth(storeApp, "nope"), "", 401},
		{"unknown client", basicAuth("0f1a2b3c-0000-4000-8000-0000000000ff", secret), "", 401},
		{"bearer token", "Bearer x", "", 401},
		{"wrong api key", "nope-key", "?applicationId=" + storeApp, 401},
		{"api key without application", apiKey, "", 400},
		{"api key, unknown application", apiKey, "?applicationId=0f1a2b3c-0000-4000-8000-0000000000ff", 401},
		{"forged cursor", basicAuth(storeApp, secret), "?since=!!!", 400},
		{"cursor with sql", basicAuth(storeApp, secret), "?since=" + base64.RawURLEncoding.EncodeToString([]byte("1:' OR 1=1 --")), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := s.feed(tc.auth, tc.query); res.status != tc.want {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tc.want)
			}
		})
	}
}
