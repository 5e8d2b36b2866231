package sqlstorage_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestSeedScaleTokensWorkWithTheRealRefresh seeds 1,000 users and 10,000
// tokens (latchkey seed's rows at a small scale) and presents seeded values
// to the running server: a live one refreshes (OneTimeUse rotation of a
// seeded row), then is superseded; a revoked or expired one is refused; the
// seeded users are registered to the application. On PostgreSQL too when
// LATCHKEY_TEST_POSTGRES_DSN is set.
func TestSeedScaleTokensWorkWithTheRealRefresh(t *testing.T) {
	const appID = "5eed0000-0000-4000-8000-00000000a002"
	const users, tokens = 1000, 10000
	var seededUsers, seededTokens int
	seededAt := time.Now()
	in := apptest.Start(t, apptest.Options{
		Tenant: func(tn *storage.Tenant) {
			tn.JWTConfiguration = storage.TenantJWTConfiguration{Enabled: true, TimeToLiveInSeconds: 300,
				RefreshTokenTimeToLiveInMinutes: 43200, RefreshTokenExpirationPolicy: "SlidingWindow",
				RefreshTokenUsagePolicy: "OneTimeUse"}
		},
		Seed: func(ctx context.Context, st storage.Storage) error {
			err := st.CreateApplication(ctx, storage.Application{ID: appID, TenantID: manage.DefaultTenantID,
				Name: "Seed", Active: true, State: "Active", Roles: []storage.ApplicationRole{{ID: appID + "-r", Name: "user"}},
				LoginConfiguration: storage.ApplicationLoginConfig{AllowTokenRefresh: true, GenerateRefreshTokens: true}})
			if err != nil {
				return err
			}
			return st.(*sqlstorage.Store).SeedScale(ctx, sqlstorage.Seed{ApplicationID: appID, Users: users, Tokens: tokens,
				Progress: func(u, tk int) { seededUsers, seededTokens = u, tk }})
		},
	})
	if seededUsers != users || seededTokens != tokens {
		t.Fatalf("seeded %d users and %d tokens, want %d and %d", seededUsers, seededTokens, users, tokens)
	}
	refresh := func(value string) (int, string) {
		res, body := in.Do(t, http.MethodPost, "/api/jwt/refresh", map[string]string{"refreshToken": value}, "Authorization", "")
		var out struct{ RefreshToken, Token string }
		_ = json.Unmarshal(body, &out)
		return res.StatusCode, out.RefreshToken
	}
	kinds := map[string][]int{}
	for i := range tokens {
		k := sqlstorage.SeedTokenKind(i)
		kinds[k] = append(kinds[k], i)
	}
	if len(kinds[sqlstorage.SeedLive]) != tokens*85/100 || len(kinds[sqlstorage.SeedRevoked]) == 0 || len(kinds[sqlstorage.SeedRevokedExpired]) == 0 {
		t.Fatalf("kinds: %d live, %d revoked, %d revoked and expired", len(kinds[sqlstorage.SeedLive]),
			len(kinds[sqlstorage.SeedRevoked]), len(kinds[sqlstorage.SeedRevokedExpired]))
	}
	// Live tokens of the first and last users, never rotated and rotated many times.
	for _, i := range []int{0, 21, 781, 9996} {
		if sqlstorage.SeedTokenKind(i) != sqlstorage.SeedLive {
			t.Fatalf("token %d is %s", i, sqlstorage.SeedTokenKind(i))
		}
		v := sqlstorage.SeedTokenValue(i)
		status, next := refresh(v)
		if status != http.StatusOK || next == "" || next == v {
			t.Fatalf("live seeded token %d: status %d, new value %q", i, status, next)
		}
		if status, _ := refresh(next); status != http.StatusOK {
			t.Fatalf("its successor: status %d", status)
		}
		rt, err := in.Store.GetRefreshToken(context.Background(), sqlstorage.SeedTokenID(i))
		if err != nil || rt.UserID != sqlstorage.SeedUserID(sqlstorage.SeedTokenUser(i, users)) || !rt.RevokedAt.IsZero() {
			t.Fatalf("token %d after two refreshes: %+v, %v", i, rt, err)
		}
	}
	for _, i := range []int{kinds[sqlstorage.SeedRevoked][0], kinds[sqlstorage.SeedRevokedExpired][5]} {
		if status, next := refresh(sqlstorage.SeedTokenValue(i)); status == http.StatusOK || next != "" {
			t.Fatalf("%s seeded token %d refreshed: status %d", sqlstorage.SeedTokenKind(i), i, status)
		}
	}
	// A sample (latchkey seed --print-tokens) is live rows of distinct users,
	// none of another draw's,
	// that expire no sooner than it promises after the seeding, under the
	// SlidingWindow policy (the stored expiry) and under Fixed (from the start).
	const left = 7 * 24 * time.Hour
	sample, err := sqlstorage.SeedSample(300, 2, users, tokens, left)
	if err != nil || len(sample) != 300 {
		t.Fatalf("sample: %d, %v", len(sample), err)
	}
	first, err := sqlstorage.SeedSample(300, 1, users, tokens, left)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range first {
		for _, j := range sample {
			if sqlstorage.SeedTokenUser(i, users) == sqlstorage.SeedTokenUser(j, users) {
				t.Fatalf("draws 1 and 2 share user %d (tokens %d and %d)", sqlstorage.SeedTokenUser(i, users), i, j)
			}
		}
	}
	owners := map[string]bool{}
	for _, i := range sample {
		rt, err := in.Store.GetRefreshToken(context.Background(), sqlstorage.SeedTokenID(i))
		fixed := rt.StartInstant.Add(30 * 24 * time.Hour) // the Fixed policy's expiry, the example Kickstart's lifetime
		if err != nil || !rt.RevokedAt.IsZero() || rt.ExpiresAt.Before(seededAt.Add(left)) || fixed.Before(seededAt.Add(left)) || owners[rt.UserID] {
			t.Fatalf("sampled token %d: %+v, %v (seeded at %s; a repeated user: %v)", i, rt, err, seededAt, owners[rt.UserID])
		}
		owners[rt.UserID] = true
	}
	// The seeded users are there as the import leaves them: registered, found by email.
	res, body := in.Do(t, http.MethodGet, "/api/user?email="+sqlstorage.SeedUserEmail(users-1), nil)
	var got struct {
		User struct {
			ID            string
			Registrations []struct{ ApplicationID string }
		}
	}
	if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET user: %d %s", res.StatusCode, body)
	}
	if got.User.ID != sqlstorage.SeedUserID(users-1) || len(got.User.Registrations) != 1 || got.User.Registrations[0].ApplicationID != appID {
		t.Fatalf("seeded user: %s", body)
	}
}

// TestSeedRefusesADatabaseWithUsers: the seed's users share a known
// password and its token values are computable, so it refuses a database
// that already holds a user, and writes nothing there. On PostgreSQL too
// when LATCHKEY_TEST_POSTGRES_DSN is set.
func TestSeedRefusesADatabaseWithUsers(t *testing.T) {
	const appID = "5eed0000-0000-4000-8000-00000000a003"
	var seedErr error
	in := apptest.Start(t, apptest.Options{
		Tenant: func(*storage.Tenant) {},
		Seed: func(ctx context.Context, st storage.Storage) error {
			err := st.CreateApplication(ctx, storage.Application{ID: appID, TenantID: manage.DefaultTenantID,
				Name: "Seed", Active: true, State: "Active"})
			if err != nil {
				return err
			}
			err = st.CreateUser(ctx, storage.User{ID: "0000aaaa-0000-4000-8000-000000000001", TenantID: manage.DefaultTenantID,
				Active: true, Email: "real@example.com", InsertInstant: 1,
				Password: storage.PasswordHash{Scheme: "salted-pbkdf2-hmac-sha256", Factor: 24000, Salt: "c2FsdA==", Hash: "aGFzaA=="}})
			if err != nil {
				return err
			}
			seedErr = st.(*sqlstorage.Store).SeedScale(ctx, sqlstorage.Seed{ApplicationID: appID, Users: 10, Tokens: 100})
			return nil
		},
	})
	if !errors.Is(seedErr, sqlstorage.ErrSeedNotEmpty) {
		t.Fatalf("SeedScale on a database with a user: %v, want ErrSeedNotEmpty", seedErr)
	}
	res, body := in.Do(t, http.MethodGet, "/api/user/search?queryString=*&numberOfResults=50", nil)
	var out struct{ Total int }
	if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("search: %d %s", res.StatusCode, body)
	}
	if out.Total != 1 {
		t.Fatalf("%d users after the refused seed, want the one real user", out.Total)
	}
}
