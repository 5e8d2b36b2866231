package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginWithheldAnswers pins FusionAuth's answers for a login that
// verified the password but ends without tokens (auth.Withheld): 203 with
// the changePasswordId and its reason, 212 with the user, and the password
// grant's 400s; none carries a token, sets a cookie or stores a refresh
// token.
func TestLoginWithheldAnswers(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(u *storage.User, tn *storage.Tenant)
		status int
		golden string
	}{
		{"change required", func(u *storage.User, _ *storage.Tenant) { u.PasswordChangeRequired = true }, 203, "login_203"},
		{"expired", func(u *storage.User, tn *storage.Tenant) {
			tn.MaximumPasswordAge = storage.MaximumPasswordAge{Enabled: true, Days: 30}
			u.PasswordLastUpdateInstant = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		}, 203, "login_203_expired"},
		{"unverified, gated", func(u *storage.User, tn *storage.Tenant) {
			tn.EmailConfiguration.VerifyEmail, tn.EmailConfiguration.Unverified.Behavior = true, "Gated"
			u.Verified = false
		}, 212, "login_212"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) { tt.edit(&storage.User{}, tn) })
			ctx := context.Background()
			u, err := s.Store.GetUser(ctx, aliceID)
			must(t, err)
			tt.edit(&u, &storage.Tenant{})
			must(t, s.Store.UpdateUser(ctx, u))

			res := s.login(storeApp, nil)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			tokenGolden(t, tt.golden, res.body)
			if c := res.header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("a withheld login set cookies: %q", c)
			}
			live, err := s.Store.ListRefreshTokens(ctx, aliceID)
			must(t, err)
			if len(live) != 0 {
				t.Errorf("a withheld login stored %d refresh tokens", len(live))
			}
			grant := s.do(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
				body: "grant_type=password&client_id=" + storeApp + "&client_secret=" + secret + "&username=" + aliceEmail + "&password=" + alicePass})
			if grant.status != 400 {
				t.Fatalf("password grant: %d %s", grant.status, grant.body)
			}
			tokenGolden(t, "oauth_"+tt.golden, grant.body)
		})
	}
}
