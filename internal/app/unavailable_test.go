package app_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// keysDown is the real store whose ListSigningKeys fails as a database that
// stopped answering does, while down is set.
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

// TestValidateDuringOutageIs503: a valid token this node cannot check
// because the database does not answer (here: signed with a key another
// node just rotated in, so the node must read the key set) is answered 503
// with Retry-After, never 401: a resource server would otherwise log the
// user out for the identity server's outage.
func TestValidateDuringOutageIs503(t *testing.T) {
	var ks *keysDown
	r := start(t, app.Options{}, nil, func(st storage.Storage) storage.Storage {
		ks = &keysDown{Storage: st}
		return ks
	})
	// The node makes its RS256 key in the background after it starts and
	// then reloads its key set; a reload that ran after the rotation below
	// would already know the new kid. The published key set waits for it.
	if res, err := http.Get("http://" + r.Addr + "/.well-known/jwks.json"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 200 {
		t.Fatalf("jwks before the rotation: %d", res.StatusCode)
	}
	other := keys.New(ks.Storage, keys.Options{Issuer: "http://" + r.Addr, PublishAhead: -1}) // an emergency rotation: signs at once
	ctx := context.Background()
	if err := other.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Rotate(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	tok, err := other.Sign(ctx, keys.ES256, map[string]any{"sub": "u", "iss": "http://" + r.Addr, "iat": now, "exp": now + 300})
	if err != nil {
		t.Fatal(err)
	}
	validate := func() *http.Response {
		req, _ := http.NewRequest("GET", "http://"+r.Addr+"/api/jwt/validate", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	ks.down.Store(true)
	if res := validate(); res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("valid token while the database is down: %d (Retry-After %q), want 503", res.StatusCode, res.Header.Get("Retry-After"))
	}
	ks.down.Store(false)
	time.Sleep(time.Second) // the unknown-kid reload is rate-limited to once a second
	if res := validate(); res.StatusCode != 200 {
		t.Fatalf("the same token once the database answers: %d", res.StatusCode)
	}
}
