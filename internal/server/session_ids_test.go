package server_test

import (
	"bytes"
	"context"
	"errors"
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

	// session checks an answer that started one: its refresh-token id
	// (idKey) is time-ordered and is the access token's (tokenKey) sid,
	// and the family was created ReadByID (docs/decisions.md, "A login's
	// family keeps its secret's hash out of the hash index"): its value
	// (valueKey) is stored as a hash read by id, and is not found by hash.
	session := func(what string, res result, tokenKey, idKey, valueKey string) {
		t.Helper()
		if res.status != 200 {
			t.Fatalf("%s: %d %s", what, res.status, res.body)
		}
		body := res.json(t)
		id, _ := body[idKey].(string)
		check(what+" "+idKey, id)
		if sid := jwtClaims(t, body[tokenKey].(string))["sid"]; sid != id {
			t.Fatalf("%s: sid %v, %s %q", what, sid, idKey, id)
		}
		value, _ := body[valueKey].(string)
		if rt, err := s.Store.GetRefreshToken(context.Background(), id); err != nil || value == "" || !bytes.Equal(rt.Hash, sha(value)) {
			t.Fatalf("%s: family %s read by id: %v; its hash is the value's (%q): %v", what, id, err, value, bytes.Equal(rt.Hash, sha(value)))
		}
		if _, _, err := s.Store.FindRefreshTokenByHash(context.Background(), sha(value)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: the first value was found by hash (%v): the family was not created ReadByID", what, err)
		}
	}

	session("login", s.login(storeApp, nil), "token", "refreshTokenId", "refreshToken")
	// The login record (read from storage: FusionAuth's recent-login
	// answer carries no id).
	recs, _, err := s.Store.ListLoginRecords(context.Background(), storage.LoginRecordFilter{UserID: aliceID, Limit: 10})
	must(t, err)
	if len(recs) != 1 {
		t.Fatalf("login records: %+v", recs)
	}
	check("login record", recs[0].ID)

	session("create with registration", s.do(call{method: "POST", path: "/api/user/registration", hdr: map[string]string{"Authorization": apiKey},
		body: `{"user":{"email":"erin@example.test","password":"erin's own passphrase"},"registration":{"applicationId":"` + storeApp + `"}}`}),
		"token", "refreshTokenId", "refreshToken")

	verifier, challenge := pkce("forums-verifier-")
	q := newBrowser(s).login(authzQuery(forumsApp, forumsCallback, challenge))
	session("code flow", s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier), "access_token", "refresh_token_id", "refresh_token")
}
