package strictjwt

import (
	"errors"
	"testing"
	"time"
)

// TestCheckClaimsBoundaries pins the edges of RFC 7519 §4.1.4/4.1.5 with
// leeway: valid strictly before exp+leeway, nbf accepted up to now+leeway.
func TestCheckClaimsBoundaries(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	n := float64(now.Unix())
	tests := []struct {
		name   string
		claims map[string]any
		leeway time.Duration
		want   error
		aud    string
	}{
		{"exp one second ahead", map[string]any{"exp": n + 1}, 0, nil, ""},
		{"exp now", map[string]any{"exp": n}, 0, ErrExpired, ""},
		{"exp fractional just ahead", map[string]any{"exp": n + 0.5}, 0, nil, ""},
		{"exp past, inside leeway", map[string]any{"exp": n - 4}, 5 * time.Second, nil, ""},
		{"exp past leeway + 1s", map[string]any{"exp": n - 6}, 5 * time.Second, ErrExpired, ""},
		{"exp absurdly large", map[string]any{"exp": 1e300}, 0, nil, ""},
		{"exp negative", map[string]any{"exp": -1e300}, 0, ErrExpired, ""},
		{"nbf at now+leeway", map[string]any{"exp": n + 60, "nbf": n + 5}, 5 * time.Second, nil, ""},
		{"nbf beyond leeway", map[string]any{"exp": n + 60, "nbf": n + 6}, 5 * time.Second, ErrNotYetValid, ""},
		{"iat not a number", map[string]any{"exp": n + 60, "iat": "yesterday"}, 0, ErrMalformed, ""},
		{"exp bool", map[string]any{"exp": true}, 0, ErrMalformed, ""},
		{"Nbf case variant", map[string]any{"exp": n + 60, "Nbf": n + 999}, 0, ErrMalformed, ""},
		{"aud null", map[string]any{"exp": n + 60, "aud": nil}, 0, ErrMalformed, "app"},
		{"aud list contains", map[string]any{"exp": n + 60, "aud": []any{"x", "app"}}, 0, nil, "app"},
		{"aud list of numbers", map[string]any{"exp": n + 60, "aud": []any{1.0}}, 0, ErrMalformed, "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckClaims(tt.claims, Rules{Now: now, Leeway: tt.leeway, Audience: tt.aud})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckClaims = %v, want %v", err, tt.want)
			}
		})
	}
}
