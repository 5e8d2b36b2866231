package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestJWKSFetching(t *testing.T) {
	ctx := context.Background()
	t.Run("lazy, cached", func(t *testing.T) {
		p := newIDP(t)
		v := p.verifier(t, nil)
		if p.fetches.Load() != 0 {
			t.Fatal("New fetched the JWKS")
		}
		for range 20 {
			if _, err := v.Verify(ctx, p.token(t, "ec-1", p.claims())); err != nil {
				t.Fatal(err)
			}
		}
		if n := p.fetches.Load(); n != 1 {
			t.Fatalf("%d fetches for 20 tokens, want 1", n)
		}
	})
	t.Run("50 concurrent unknown kid, one fetch", func(t *testing.T) {
		p := newIDP(t)
		v := p.verifier(t, nil)
		_, _ = v.Verify(ctx, p.token(t, "ec-1", p.claims())) // warm
		p.clock.Advance(DefaultMinRefetchInterval)
		p.addKey(t, "ec-2", "ES256") // rotation at the IdP
		tok := p.token(t, "ec-2", p.claims())
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				_, err := v.Verify(ctx, tok)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		if n := p.fetches.Load(); n != 2 {
			t.Fatalf("%d fetches, want warm-up + 1", n)
		}
		// Callers that arrived after the fetch completed saw ec-2 in the
		// cache; none may fail for any other reason than the rate limit.
		for err := range errs {
			if err != nil && !errors.Is(err, ErrUnknownKey) {
				t.Fatal(err)
			}
		}
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("rotated key not trusted after refetch: %v", err)
		}
	})
	t.Run("flood of random kids, bounded fetches", func(t *testing.T) {
		p := newIDP(t)
		v := p.verifier(t, nil)
		priv := p.priv["ec-1"]
		const intervals = 5
		for i := range intervals {
			var wg sync.WaitGroup
			for j := range 40 {
				wg.Go(func() {
					tok := forge(t, priv, fmt.Sprintf(`{"alg":"ES256","kid":"rnd-%d-%d"}`, i, j), `{"exp":9999999999}`)
					if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
						t.Errorf("random kid: %v", err)
					}
				})
			}
			wg.Wait()
			p.clock.Advance(DefaultMinRefetchInterval)
		}
		if n := p.fetches.Load(); n > intervals {
			t.Fatalf("%d fetches for 200 random kids over %d intervals", n, intervals)
		}
	})
	t.Run("JWKS down then back", func(t *testing.T) {
		p := newIDP(t)
		v := p.verifier(t, nil)
		p.mu.Lock()
		p.status = http.StatusInternalServerError
		p.mu.Unlock()
		tok := p.token(t, "ec-1", p.claims())
		for range 3 {
			if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrJWKSUnavailable) || errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrJWKSUnavailable only", err)
			}
		}
		if n := p.fetches.Load(); n != 1 {
			t.Fatalf("%d fetches to a failing JWKS within one interval, want 1", n)
		}
		p.mu.Lock()
		p.status = 0
		p.mu.Unlock()
		p.clock.Advance(DefaultMinRefetchInterval)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("retired key dropped after max age", func(t *testing.T) {
		p := newIDP(t)
		v := p.verifier(t, nil)
		tok := p.token(t, "ec-1", map[string]any{"aud": store, "applicationId": store, "iss": issuer, "exp": p.clock.Now().Add(time.Hour).Unix()})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		delete(p.priv, "ec-1")
		p.mu.Unlock()
		p.clock.Advance(maxKeySetAge)
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("token of a key the IdP retired: %v", err)
		}
	})
}
