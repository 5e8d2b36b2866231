package server_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
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

// A revocation whose transaction commits after later ones were already read
// (revoked_at taken before a 15 s lock wait, or another node's clock behind)
// must still reach a caught-up poller on its next poll.
func TestRevocationFeedLateCommit(t *testing.T) {
	// The poll below runs 7 s after the newest entry, so a stamp up to 23 s
	// older than it is within the 30 s look-back; under the old 2 s none was.
	for _, late := range []time.Duration{time.Second, 20 * time.Second, 23 * time.Second} {
		t.Run(late.String(), func(t *testing.T) {
			s := newStack(t)
			early := s.login(storeApp, nil).json(t)["refreshTokenId"].(string)
			login := s.login(storeApp, nil).json(t)
			sid, rt := login["refreshTokenId"].(string), login["refreshToken"].(string)
			s.Clock.Advance(time.Minute)
			if res := s.do(call{method: "POST", path: "/api/logout", body: `{"refreshToken":"` + rt + `"}`}); res.status != 200 {
				t.Fatalf("logout %d", res.status)
			}
			newest := s.Clock.Now()
			s.Clock.Advance(5 * time.Second)
			first := s.feed(basicAuth(storeApp, secret), "")
			if got := sids(t, first); len(got) != 1 || got[0] != sid {
				t.Fatalf("first poll = %v, want [%s]", got, sid)
			}
			// The late transaction commits now, stamped before the entry read.
			if _, err := s.Store.RevokeRefreshTokens(context.Background(), storage.RefreshTokenFilter{ID: early},
				newest.Add(-late), "logout"); err != nil {
				t.Fatal(err)
			}
			s.Clock.Advance(2 * time.Second) // the verifier's poll interval
			next := s.feed(basicAuth(storeApp, secret), "?since="+first.json(t)["cursor"].(string))
			if !contains(sids(t, next), early) {
				t.Fatalf("revocation committed %v late was skipped: %s", late, next.body)
			}
		})
	}
}

// Hard-deleting a user cascades their refresh tokens away; their sessions
// must still be in the feed, or resource servers accept the JWTs until exp.
func TestRevocationFeedHardDeletedUser(t *testing.T) {
	s := newStack(t)
	sid := s.login(storeApp, nil).json(t)["refreshTokenId"].(string)
	first := s.feed(basicAuth(storeApp, secret), "")
	if len(sids(t, first)) != 0 {
		t.Fatalf("feed before the delete: %s", first.body)
	}
	s.Clock.Advance(time.Minute)
	del := s.do(call{method: "DELETE", path: "/api/user/" + aliceID + "?hardDelete=true", hdr: map[string]string{"Authorization": apiKey}})
	if del.status != 200 {
		t.Fatalf("hard delete %d %s", del.status, del.body)
	}
	if _, err := s.Store.GetRefreshToken(context.Background(), sid); err == nil {
		t.Fatal("the session row survived the hard delete")
	}
	res := s.feed(basicAuth(storeApp, secret), "?since="+first.json(t)["cursor"].(string))
	if got := sids(t, res); len(got) != 1 || got[0] != sid {
		t.Fatalf("feed after hard delete = %v, want [%s]", got, sid)
	}
	e := res.json(t)["revocations"].([]any)[0].(map[string]any)
	if e["userId"] != aliceID || int64(e["revokedAt"].(float64)) != s.Clock.Now().UnixMilli() {
		t.Fatalf("entry = %v, want alice revoked at the delete (%d)", e, s.Clock.Now().UnixMilli())
	}
	// The Forums application had no session of alice: nothing leaks there.
	if other := s.feed(basicAuth(forumsApp, secret), ""); len(sids(t, other)) != 0 {
		t.Fatalf("forums feed lists the store session: %s", other.body)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
