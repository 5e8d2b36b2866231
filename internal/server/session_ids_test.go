package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Each call site that names a session or a login record uses a version 7
// UUID carrying the server's clock (docs/decisions.md, "Time-ordered ids for
// what every login inserts"): the native login (its family and its login
// record), a user created with a registration and tokens, and the
// authorization code flow's grant. The access token's sid equals the
// refresh-token id.
func TestSessionsAreNamedByTimeOrderedIDs(t *testing.T) {
	s := newOAuthStack(t)
	s.Clock.Advance(1234 * time.Millisecond) // an instant with milliseconds
	at := s.Clock.Now()
	check := func(what, id string) {
		t.Helper()
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("%s: %q is not a UUID: %v", what, id, err)
		}
		if u.Version() != 7 {
			t.Fatalf("%s: %s is a version %d UUID, want 7", what, id, u.Version())
		}
		sec, nsec := u.Time().UnixTime()
		if got := time.Unix(sec, nsec); !got.Equal(at.Truncate(time.Millisecond)) {
			t.Fatalf("%s: %s carries %v, want the server's clock %v", what, id, got.UTC(), at.UTC())
		}
	}

	res := s.login(storeApp, nil)
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	body := res.json(t)
	check("login refreshTokenId", body["refreshTokenId"].(string))
	if sid := jwtClaims(t, body["token"].(string))["sid"]; sid != body["refreshTokenId"] {
		t.Fatalf("login: sid %v, refreshTokenId %v", sid, body["refreshTokenId"])
	}
	// The login record (read from storage: FusionAuth's recent-login
	// answer carries no id).
	recs, _, err := s.Store.ListLoginRecords(context.Background(), storage.LoginRecordFilter{UserID: aliceID, Limit: 10})
	must(t, err)
	if len(recs) != 1 {
		t.Fatalf("login records: %+v", recs)
	}
	check("login record", recs[0].ID)

	created := s.do(call{method: "POST", path: "/api/user/registration", hdr: map[string]string{"Authorization": apiKey},
		body: `{"user":{"email":"erin@example.test","password":"erin's own passphrase"},"registration":{"applicationId":"` + storeApp + `"}}`})
	if created.status != 200 {
		t.Fatalf("create with registration: %d %s", created.status, created.body)
	}
	check("created user's sid", jwtClaims(t, created.json(t)["token"].(string))["sid"].(string))

	verifier, challenge := pkce("forums-verifier-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	ex := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier)
	if ex.status != 200 {
		t.Fatalf("exchange: %d %s", ex.status, ex.body)
	}
	tok := ex.json(t)
	check("code flow refresh_token_id", tok["refresh_token_id"].(string))
	if sid := jwtClaims(t, tok["access_token"].(string))["sid"]; sid != tok["refresh_token_id"] {
		t.Fatalf("code flow: sid %v, refresh_token_id %v", sid, tok["refresh_token_id"])
	}
}
