package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/janitor"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// unknownValue is a well-formed value of a family that does not exist,
// under a key no test service holds.
func unknownValue() string {
	return otherDeployment().firstValue(newID())
}

// otherDeployment is a Service with a successor key of its own, for making
// values; it stores nothing.
func otherDeployment() *Service {
	k := randomBytes(32)
	return &Service{succKeys: [][]byte{k}, tagKeys: [][]byte{tagKeyFor(k)}}
}

// decodeValue splits a value into family, generation and tag.
func decodeValue(t testing.TB, raw string) (family string, gen int, b []byte) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(raw) != valueChars || len(b) != valueBytes || b[0] != valueVersion {
		t.Fatalf("value %q (%d characters) is not of the family-naming format: %v", raw, len(raw), err)
	}
	id, err := uuid.FromBytes(b[1:17])
	must(t, err)
	return id.String(), int(binary.BigEndian.Uint32(b[17:21])), b
}

// thirtyDays: FusionAuth's default refresh-token lifetime (Fixed), one-time
// use, no grace configured: the defaults a reused stolen value meets.
func thirtyDays(w *world) {
	oneTimeUse(0)(w)
	w.tenant.JWTConfiguration.RefreshTokenExpirationPolicy = policyFixed
	w.tenant.JWTConfiguration.RefreshTokenTimeToLiveInMinutes = 43200
}

// janitorPass runs one pass of the standard janitor (internal/janitor with
// its default retention) at the test clock's now.
func (e *env) janitorPass() {
	e.t.Helper()
	hour := func(context.Context) (time.Duration, error) { return time.Hour, nil }
	j := janitor.New(janitor.Config{Tasks: janitor.Tasks(e.store, janitor.Retention{TokenLifetime: hour, LockoutWindow: hour}),
		ClaimLease: e.store.ClaimLease, Now: e.clock.Now, Pause: time.Millisecond})
	_, err := j.Pass(e.ctx)
	must(e.t, err)
}

// A value names its family and its generation, and storage keeps its
// SHA-256 only; a rotation moves to the next generation of the same family.
func TestRefreshValueNamesItsFamily(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	rt0 := e.login()
	fam, gen, _ := decodeValue(t, rt0.RefreshToken)
	if fam != rt0.RefreshTokenID || gen != 0 {
		t.Fatalf("login value names family %s generation %d, want %s and 0", fam, gen, rt0.RefreshTokenID)
	}
	// The login's family is created ReadByID: its first value is found
	// through the family (and refreshes, below), never by its hash.
	sum0 := sha256.Sum256([]byte(rt0.RefreshToken))
	if rec := e.record(rt0.RefreshTokenID); string(rec.Hash) != string(sum0[:]) || rec.Generation != 0 {
		t.Fatalf("login record: hash is SHA-256 of the value %v, generation %d", string(rec.Hash) == string(sum0[:]), rec.Generation)
	}
	if _, _, err := e.store.FindRefreshTokenByHash(e.ctx, sum0[:]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the login's value was found by hash: %v", err)
	}
	e.clock.Advance(time.Minute)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	if fam, gen, _ = decodeValue(t, rt1.RefreshToken); fam != rt0.RefreshTokenID || gen != 1 {
		t.Fatalf("successor names family %s generation %d, want %s and 1", fam, gen, rt0.RefreshTokenID)
	}
	sum := sha256.Sum256([]byte(rt1.RefreshToken))
	if rec := e.record(rt1.RefreshTokenID); string(rec.Hash) != string(sum[:]) || rec.Generation != 1 {
		t.Fatalf("record: hash is SHA-256 of the value %v, generation %d", string(rec.Hash) == string(sum[:]), rec.Generation)
	}
	// No history row: the value rotated away is found through its family
	// only, not by its hash.
	if _, _, err := e.store.FindRefreshTokenByHash(e.ctx, hashToken(rt0.RefreshToken)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the superseded value left a history row: %v", err)
	}
}

// The scenario the 7-day history purge used to lose: a value stolen at the
// start of a session and replayed after the janitor has run more than a week
// later, with default settings, is still reuse: the family is revoked. For
// values of the new format and for a session that began with a value of the
// earlier format (kept in the history, which now lives as long as its
// family).
func TestReuseDetectedForTheFamilysWholeLife(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := map[bool]string{false: "family-naming values", true: "value of the earlier format"}[legacy]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, thirtyDays)
			stolen := e.login()
			if legacy {
				stolen.RefreshToken, stolen.RefreshTokenID = e.legacySession(stolen.RefreshTokenID)
			}
			e.clock.Advance(time.Minute)
			rt1, err := e.refresh(stolen.RefreshToken)
			must(t, err)
			e.clock.Advance(24 * time.Hour)
			rt2, err := e.refresh(rt1.RefreshToken)
			must(t, err)
			e.clock.Advance(8 * 24 * time.Hour)
			e.janitorPass()
			if rec := e.record(stolen.RefreshTokenID); !rec.RevokedAt.IsZero() {
				t.Fatal("the janitor revoked a live session")
			}
			_, err = e.refresh(stolen.RefreshToken) // the thief, 9 days later
			wantErr(t, err, ErrRefreshNotFound)
			e.assertFamilyDead(stolen.RefreshTokenID, "reuse", rt2.RefreshToken, rt1.RefreshToken)
		})
	}
}

// legacySession replaces the session id with one whose value is of the
// earlier format (as stored before the upgrade) and returns that value and
// the new session's id.
func (e *env) legacySession(id string) (string, string) {
	e.t.Helper()
	return e.legacySessionAs(id, newID())
}

// legacySessionAs is legacySession with the new session's id given.
func (e *env) legacySessionAs(id, newSession string) (string, string) {
	e.t.Helper()
	rec := e.record(id)
	_, err := e.store.RevokeRefreshTokens(e.ctx, storage.RefreshTokenFilter{ID: id}, e.clock.Now(), "test")
	must(e.t, err)
	raw := newRefreshValue() // the format before issue 13
	rec.ID, rec.Hash, rec.RevokedAt, rec.RevokeReason = newSession, hashToken(raw), time.Time{}, ""
	must(e.t, e.store.CreateRefreshToken(e.ctx, rec))
	return raw, rec.ID
}

// A session that began before the upgrade goes on, and its first rotation
// hands out a family-naming value; the old value stays reuse.
func TestLegacyValueRotatesIntoTheNewFormat(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	tok := e.login()
	old, _ := e.legacySession(tok.RefreshTokenID)
	e.clock.Advance(time.Minute)
	next, err := e.refresh(old)
	must(t, err)
	if fam, gen, _ := decodeValue(t, next.RefreshToken); fam != next.RefreshTokenID || gen != 1 {
		t.Fatalf("successor of an old value names %s generation %d", fam, gen)
	}
	retry, err := e.refresh(old) // within the retry window: the same successor
	must(t, err)
	if retry.RefreshToken != next.RefreshToken {
		t.Fatal("a retry of the old value got another successor")
	}
	e.clock.Advance(DefaultRetryWindow + time.Second)
	_, err = e.refresh(old)
	wantErr(t, err, ErrRefreshNotFound)
	e.assertFamilyDead(next.RefreshTokenID, "reuse", next.RefreshToken)
}

// A family whose id is not a UUID (a record made outside auth) keeps
// handing out values of the earlier format, which are looked up by hash:
// each successor refreshes (its rotation stores it where the by-hash lookup
// finds it, not in cur_hash, migration 0090), and every value it replaced,
// presented after the retry window, is reuse that ends the family.
func TestEarlierFormatFamilyKeepsRotating(t *testing.T) {
	for back := 1; back <= 3; back++ {
		t.Run(fmt.Sprintf("%d generations back", back), func(t *testing.T) {
			e := newEnv(t, oneTimeUse(0))
			v, id := e.legacySessionAs(e.login().RefreshTokenID, "imported-session")
			values := []string{v}
			for range 3 {
				e.clock.Advance(time.Minute)
				next, err := e.refresh(v)
				must(t, err)
				if v = next.RefreshToken; len(v) != legacyChars || next.RefreshTokenID != id {
					t.Fatalf("successor %q of family %s", v, next.RefreshTokenID)
				}
				values = append(values, v)
			}
			e.clock.Advance(DefaultRetryWindow + time.Second)
			_, err := e.refresh(values[3-back])
			wantErr(t, err, ErrRefreshNotFound)
			e.assertFamilyDead(id, "reuse", values...)
		})
	}
}

// Adversarial: the family id is public (the access token's sid). A made-up
// "old generation" value of a live family, with a wrong tag, a tag under
// another deployment's key, or a real old value with its generation edited,
// is unknown: 404, the family untouched, the current value still good, and
// logout with it ends nothing.
func TestForgedOldValueRevokesNothing(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	rt0 := e.login()
	e.clock.Advance(time.Minute)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	e.clock.Advance(time.Minute)
	rt2, err := e.refresh(rt1.RefreshToken)
	must(t, err)
	e.clock.Advance(DefaultRetryWindow + time.Second)

	other := otherDeployment()
	_, _, real1 := decodeValue(t, rt1.RefreshToken)
	edited := append([]byte(nil), real1...)
	binary.BigEndian.PutUint32(edited[17:21], 0)
	badTag := append([]byte(nil), real1...)
	badTag[len(badTag)-1] ^= 1
	for name, forged := range map[string]string{
		"wrong tag":             base64.RawURLEncoding.EncodeToString(badTag),
		"another key's tag":     other.encodeValue(0, rt0.RefreshTokenID, 0, randomBytes(32)),
		"generation edited":     base64.RawURLEncoding.EncodeToString(edited),
		"random of the shape":   other.firstValue(rt0.RefreshTokenID),
		"the sid, hashed":       strings.Repeat("A", valueChars),
		"a future generation":   e.svc.encodeValue(0, rt0.RefreshTokenID, 9, randomBytes(32)),
		"another family's copy": e.svc.encodeValue(0, newID(), 0, randomBytes(32)),
	} {
		_, err := e.refresh(forged)
		wantErr(t, err, ErrRefreshNotFound)
		must(t, e.svc.Logout(e.ctx, LogoutRequest{RefreshToken: forged}))
		if rec := e.record(rt0.RefreshTokenID); !rec.RevokedAt.IsZero() {
			t.Fatalf("%s: the family was revoked (%s)", name, rec.RevokeReason)
		}
	}
	if _, err := e.refresh(rt2.RefreshToken); err != nil {
		t.Fatalf("the current value stopped working: %v", err)
	}
}

// Logout and revocation by value still find the family from an ancestor.
func TestAncestorStillEndsItsSession(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	rt0 := e.login()
	e.clock.Advance(time.Minute)
	rt1, err := e.refresh(rt0.RefreshToken)
	must(t, err)
	e.clock.Advance(time.Minute)
	rt2, err := e.refresh(rt1.RefreshToken)
	must(t, err)
	if rt, err := e.svc.FindRefreshToken(e.ctx, rt0.RefreshToken); err != nil || rt.ID != rt0.RefreshTokenID {
		t.Fatalf("revocation by an ancestor value: %v", err)
	}
	must(t, e.svc.Logout(e.ctx, LogoutRequest{RefreshToken: rt0.RefreshToken}))
	if rec := e.record(rt0.RefreshTokenID); rec.RevokedAt.IsZero() || rec.RevokeReason != "logout" {
		t.Fatalf("logout with an ancestor: revoked %v for %q", rec.RevokedAt, rec.RevokeReason)
	}
	_, err = e.refresh(rt2.RefreshToken)
	wantErr(t, err, ErrRefreshNotFound)
}
