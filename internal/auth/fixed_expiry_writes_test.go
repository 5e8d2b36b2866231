package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// expiryWitness is the service's real store, noting the expiries each
// rotation and touch hands it: the read one and the new one.
type expiryWitness struct {
	Store
	mu   sync.Mutex
	seen [][2]time.Time // {read, new}
}

func (w *expiryWitness) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshToken, error) {
	w.note(r.OldExpiresAt, r.ExpiresAt)
	return w.Store.RotateRefreshToken(ctx, r)
}

func (w *expiryWitness) TouchRefreshToken(ctx context.Context, id string, at, expiresAt, read time.Time) error {
	w.note(read, expiresAt)
	return w.Store.TouchRefreshToken(ctx, id, at, expiresAt, read)
}

func (w *expiryWitness) note(read, next time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, [2]time.Time{read, next})
}

// TestFixedRefreshesHandStorageTheExpiryTheyRead: under the default Fixed
// expiration policy each refresh, rotation (OneTimeUse) or touch
// (Reusable), tells storage the expiry it read from the family, and it is
// the new one, so storage leaves expires_at unwritten (on SQLite a write
// rewrites the family's entry in refresh_tokens_live_expires, at
// 10,000,000 tokens a random, cold leaf: issue 13; storage's side is
// TestUnchangedExpiryWritesNoPageOfTheExpiryIndex). Without the read
// expiry (zero) storage would write it every time, and only speed would
// show it.
func TestFixedRefreshesHandStorageTheExpiryTheyRead(t *testing.T) {
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		t.Run(usage, func(t *testing.T) {
			e := newEnv(t, func(w *world) { w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage })
			w := &expiryWitness{Store: e.svc.cfg.Store}
			e.svc.cfg.Store = w
			tok := e.login()
			stored := e.record(tok.RefreshTokenID).ExpiresAt
			value := tok.RefreshToken
			for range 3 {
				e.clock.Advance(time.Minute)
				got, err := e.refresh(value)
				must(t, err)
				value = got.RefreshToken
			}
			if len(w.seen) != 3 {
				t.Fatalf("storage saw %d rotations or touches, want 3", len(w.seen))
			}
			for i, s := range w.seen {
				if !s[0].Equal(stored) || !s[1].Equal(stored) {
					t.Fatalf("refresh %d told storage read %v, new %v; want the stored %v for both", i+1, s[0], s[1], stored)
				}
			}
			if got := e.record(tok.RefreshTokenID).ExpiresAt; !got.Equal(stored) {
				t.Fatalf("stored expiry %v, want the fixed %v", got, stored)
			}
		})
	}
}
