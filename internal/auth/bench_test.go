package auth

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// BenchmarkLogin measures a full successful login (lookup, lockout read,
// verify, RecordLogin, sign, store a refresh token) at the tenant's default
// hashing cost, next to the hash verification alone, so the overhead over
// the hash is visible in one run (issue #3 target: login <= 1.1x the hash).
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, func(w *world) {
		w.tenant.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{EncryptionScheme: testAlg}
	})
	b.Run("login", func(b *testing.B) {
		req := LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID}
		for b.Loop() {
			if _, err := e.svc.Login(e.ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hash_only", func(b *testing.B) {
		u, err := e.store.GetUser(e.ctx, userID)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if ok, err := password.Verify(goodPass, u.Password); !ok || err != nil {
				b.Fatal("verify failed", err)
			}
		}
	})
}

// BenchmarkRefresh measures a refresh under each usage policy next to one
// signature alone (issue #3 target: refresh <= 1.5x signature + one storage
// transaction; BenchmarkRotateRefreshToken in sqlstorage has the latter).
func BenchmarkRefresh(b *testing.B) {
	for _, usage := range []string{usageReusable, usageOneTimeUse} {
		b.Run(usage, func(b *testing.B) {
			e := newEnv(b, func(w *world) { w.tenant.JWTConfiguration.RefreshTokenUsagePolicy = usage })
			value := e.login().RefreshToken
			for b.Loop() {
				got, err := e.refresh(value)
				if err != nil {
					b.Fatal(err)
				}
				value = got.RefreshToken
			}
		})
	}
	b.Run("sign_only", func(b *testing.B) {
		e := newEnv(b)
		claims := map[string]any{"iss": issuer, "sub": userID, "aud": appID, "iat": 1, "exp": 2}
		for b.Loop() {
			if _, err := e.keys.Sign(e.ctx, "", claims); err != nil {
				b.Fatal(err)
			}
		}
	})
}
