package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// keysDown is the real store whose ListSigningKeys fails like a database
// that stopped answering, while down is set (fault injection by embedding,
// design.md: no mocks).
type keysDown struct {
	storage.Storage
	down atomic.Bool
}

func (s *keysDown) ListSigningKeys(ctx context.Context, now time.Time) ([]storage.SigningKey, error) {
	if s.down.Load() {
		return nil, storage.ErrUnavailable
	}
	return s.Storage.ListSigningKeys(ctx, now)
}

// serviceOn returns a Service sharing e's store whose key manager reads
// through ks.
func (e *env) serviceOn(ks keys.Store, load bool) *Service {
	e.t.Helper()
	km := keys.New(ks, keys.Options{Now: e.clock.Now, Issuer: issuer})
	if load {
		must(e.t, km.Init(e.ctx))
	}
	return New(Config{Store: e.store, Keys: km, Now: e.clock.Now, TenantID: tenantID, SuccessorKeys: e.svc.succKeys})
}

// A database blip must not end a session: a refresh whose key-set reload
// fails signs with the last good set; and when signing cannot happen at all
// (no set was ever loaded), the rotation that already committed is retried
// with the value the client still holds and yields the committed successor.
func TestRefreshSurvivesADatabaseBlip(t *testing.T) {
	e := newEnv(t, oneTimeUse(0))
	rt0 := e.login()
	ks := &keysDown{Storage: e.store}
	svc := e.serviceOn(ks, true)

	ks.down.Store(true)
	svc.cfg.Keys.KeysChanged() // the set must be reloaded now, and cannot be
	rt1, err := svc.Refresh(e.ctx, RefreshRequest{RefreshToken: rt0.RefreshToken})
	if err != nil {
		t.Fatalf("refresh during a key-set reload failure: %v", err)
	}

	cold := e.serviceOn(ks, false) // a node that never loaded the key set
	_, err = cold.Refresh(e.ctx, RefreshRequest{RefreshToken: rt1.RefreshToken})
	if err == nil || !storage.Transient(err) {
		t.Fatalf("signing without any key set: %v, want a transient error (503)", err)
	}
	ks.down.Store(false)
	e.clock.Advance(5 * time.Second)
	retry, err := e.refresh(rt1.RefreshToken)
	if err != nil {
		t.Fatalf("retry of the rotation whose answer was lost: %v", err)
	}
	if rec := e.record(rt0.RefreshTokenID); rec.Generation != 2 || !rec.RevokedAt.IsZero() {
		t.Fatalf("after the retry: generation %d, revoked %q; want 2, live", rec.Generation, rec.RevokeReason)
	}
	if _, err := e.refresh(retry.RefreshToken); err != nil {
		t.Fatalf("the successor does not refresh: %v", err)
	}
}

// Validate while the key set cannot be read is the server's outage, not an
// invalid token: the error is transient (503), never ErrInvalidToken (401).
func TestValidateWhileDatabaseDown(t *testing.T) {
	e := newEnv(t)
	tok := e.login().AccessToken
	ks := &keysDown{Storage: e.store}
	ks.down.Store(true)
	_, err := e.serviceOn(ks, false).Validate(e.ctx, tok)
	if errors.Is(err, ErrInvalidToken) || !storage.Transient(err) {
		t.Fatalf("Validate with the database down = %v, want a transient error", err)
	}
	if _, err := e.svc.Validate(e.ctx, tok); err != nil {
		t.Fatalf("the token is valid: %v", err)
	}
}
