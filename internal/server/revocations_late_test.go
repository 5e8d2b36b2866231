package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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
