package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const sessionApp = "5ec2e700-0000-4000-8000-0000000000a1"

// seedSession stores a OneTimeUse application and a user registered for it.
func seedSession(t *testing.T, st storage.Storage) {
	t.Helper()
	ctx := context.Background()
	ph, err := password.Hash(context.Background(), userPass, password.PBKDF2SHA256, 1000)
	if err != nil {
		t.Fatal(err)
	}
	uid := uuid.NewString()
	if u, err := st.FindUser(ctx, storage.UserFilter{TenantID: manage.DefaultTenantID, Email: userEmail}); err == nil {
		uid = u.ID
	} else if err := st.CreateUser(ctx, storage.User{ID: uid, TenantID: manage.DefaultTenantID, Active: true, Email: userEmail,
		Verified: true, Password: ph, InsertInstant: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		st.CreateApplication(ctx, storage.Application{ID: sessionApp, TenantID: manage.DefaultTenantID, Name: "SPA", Active: true, State: "Active",
			JWTConfiguration: storage.ApplicationJWTConfig{Enabled: true, TimeToLiveInSeconds: 300, RefreshTokenTimeToLiveInMinutes: 60,
				RefreshTokenExpirationPolicy: "Fixed", RefreshTokenUsagePolicy: "OneTimeUse"},
			LoginConfiguration: storage.ApplicationLoginConfig{AllowTokenRefresh: true, GenerateRefreshTokens: true}}),
		st.CreateRegistration(ctx, storage.Registration{ID: uuid.NewString(), UserID: uid, ApplicationID: sessionApp}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// postJSON sends a JSON POST through h and returns the status and the decoded body.
func postJSON(t *testing.T, h http.Handler, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m
}

// rotations logs in and refreshes twice, returning the three values.
func rotations(t *testing.T, h http.Handler) [3]string {
	t.Helper()
	var v [3]string
	code, m := postJSON(t, h, "/api/login", `{"loginId":"`+userEmail+`","password":"`+userPass+`","applicationId":"`+sessionApp+`"}`)
	if code != 200 {
		t.Fatalf("login: %d %v", code, m)
	}
	v[0], _ = m["refreshToken"].(string)
	for i := 1; i < 3; i++ {
		code, m = postJSON(t, h, "/api/jwt/refresh", `{"refreshToken":"`+v[i-1]+`"}`)
		if code != 200 {
			t.Fatalf("refresh %d: %d %v", i, code, m)
		}
		v[i], _ = m["refreshToken"].(string)
	}
	return v
}

// derivable reports whether key, used as the successor key, turns value
// into next: what an attacker holding key and an old value would try. next
// is base64url(1 | session id, 16 bytes | generation, 4 | secret, 32 | tag,
// 16) (internal/auth/refresh_value.go); its secret is HMAC(key, value).
func derivable(key []byte, value, next string) bool {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	b, err := base64.RawURLEncoding.DecodeString(next)
	return err == nil && len(b) == 69 && bytes.Equal(b[21:53], m.Sum(nil))
}

// TestDatabaseCopyDoesNotYieldSessions is the successor secret's threat
// model: someone holding a copy of the database and one old value of a
// session must not be able to compute the session's current value (which
// would let them take it over without tripping reuse detection). The key
// that derives successors is not stored in the database, on either backend.
func TestDatabaseCopyDoesNotYieldSessions(t *testing.T) {
	r := start(t, app.Options{}, nil, nil)
	seedSession(t, r.App.Store())
	v := rotations(t, r.App.Handler())
	sentinel := []byte("no key was stored under this name")
	stored, err := r.App.Store().ServerSecret(context.Background(), "refresh-successor", sentinel)
	if err != nil {
		t.Fatal(err)
	}
	if derivable(stored, v[1], v[2]) {
		t.Fatal("the key stored in the database derives the current token from the previous one")
	}
	if !bytes.Equal(stored, sentinel) {
		t.Fatal("a successor key is still stored in the database")
	}
}

// TestServerSecretFileNextToSQLite: the embedded default generates the
// secret next to the database on the first start (private, and not inside
// the database file), reads the same one on the next start so a retry
// across a restart still gets its successor, and PostgreSQL without a
// configured secret does not start.
func TestServerSecretFileNextToSQLite(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", filepath.Join(dir, "latchkey.db")
	open := func() *app.App {
		a, err := app.Open(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		return a
	}
	a := open()
	seedSession(t, a.Store())
	v := rotations(t, a.Handler())

	path := cfg.DatabaseURL + ".secret"
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no secret file next to the database: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, want 0600", st.Mode().Perm())
	}
	sec, err := secret.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !derivable(sec.Derive("latchkey refresh-token successor v1")[0], v[1], v[2]) {
		t.Fatal("the secret file's key does not derive the successor (derivable would prove nothing)")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := strings.TrimSpace(strings.Split(string(raw), "\n")[1])
	key, _ := base64.StdEncoding.DecodeString(enc)
	files, _ := filepath.Glob(cfg.DatabaseURL + "*")
	for _, f := range files {
		if f == path {
			continue
		}
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, key) || bytes.Contains(b, []byte(enc)) || bytes.Contains(b, sec.Derive("latchkey refresh-token successor v1")[0]) {
			t.Fatalf("the server secret is inside %s", f)
		}
	}

	b := open()
	code, m := postJSON(t, b.Handler(), "/api/jwt/refresh", `{"refreshToken":"`+v[1]+`"}`)
	if code != 200 || m["refreshToken"] != v[2] {
		t.Fatalf("retry after a restart: %d %v; want the same successor", code, m)
	}

	pg := config.Default()
	pg.DatabaseURL = "postgres://latchkey@127.0.0.1:1/latchkey"
	if err := pg.Validate(); err == nil || !strings.Contains(err.Error(), "LATCHKEY_SECRET_FILE") {
		t.Fatalf("PostgreSQL without a server secret: %v", err)
	}
}
