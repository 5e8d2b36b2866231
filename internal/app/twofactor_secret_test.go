package app_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const totpTestSecret = "8MJJfCY4ERBtotvenSc3"

// stepClock is a clock the test moves a TOTP step (30 s) at a time, so
// that every login has a fresh code without waiting.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) nextStep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(30 * time.Second)
}

// totpNode is an App on a shared store with a given server secret.
type totpNode struct {
	t   *testing.T
	app *app.App
	clk *stepClock
}

func openTOTPNode(t *testing.T, st storage.Storage, clk *stepClock, keys ...string) *totpNode {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL, cfg.Secret = "127.0.0.1:0", "unused-store-injected", strings.Join(keys, ",")
	a, err := app.Open(context.Background(), cfg, app.Options{Store: st, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return &totpNode{t: t, app: a, clk: clk}
}

// enrol logs in and enables an authenticator with the user's JWT.
func (n *totpNode) enrol() {
	n.t.Helper()
	code, m := postJSON(n.t, n.app.Handler(), "/api/login", `{"loginId":"`+userEmail+`","password":"`+userPass+`","applicationId":"`+sessionApp+`"}`)
	if code != 200 {
		n.t.Fatalf("login: %d %v", code, m)
	}
	jwt, _ := m["token"].(string)
	body := `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + n.code() + `"}`
	req := httptest.NewRequest("POST", "/api/user/two-factor", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+jwt)
	rec := httptest.NewRecorder()
	n.app.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "recoveryCodes") {
		n.t.Fatalf("enable: %d %s", rec.Code, rec.Body)
	}
}

func (n *totpNode) code() string { return auth.TOTPCode(totpTestSecret, auth.TOTPStep(n.clk.Now())) }

// login does both steps at the next TOTP step and returns the second
// step's status.
func (n *totpNode) login() int {
	n.t.Helper()
	n.clk.nextStep()
	code, m := postJSON(n.t, n.app.Handler(), "/api/login", `{"loginId":"`+userEmail+`","password":"`+userPass+`","applicationId":"`+sessionApp+`"}`)
	if code != 242 {
		n.t.Fatalf("first step: %d %v, want 242", code, m)
	}
	id, _ := m["twoFactorId"].(string)
	code, _ = postJSON(n.t, n.app.Handler(), "/api/two-factor/login", `{"twoFactorId":"`+id+`","code":"`+n.code()+`"}`)
	return code
}

func keyText(b byte) string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return base64.StdEncoding.EncodeToString(k)
}

// TestDatabaseCopyDoesNotOpenTOTPSecrets: TOTP secrets are sealed with a
// key derived from the server secret, which is not in the database. A node
// on the same data with another server secret (what someone holding a copy
// of the database has) cannot check a valid code, on either backend
// (sqlstorage.OpenTest: PostgreSQL when LATCHKEY_TEST_POSTGRES_DSN is set);
// the node with the deployment's secret still can, so the refusal is the
// missing key and nothing else.
func TestDatabaseCopyDoesNotOpenTOTPSecrets(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	seedSession(t, st)
	clk := &stepClock{t: time.Now()}
	own := openTOTPNode(t, st, clk, keyText(1))
	own.enrol()
	if code := own.login(); code != 200 {
		t.Fatalf("the deployment's own node: %d", code)
	}
	copyNode := openTOTPNode(t, st, clk, keyText(9))
	if code := copyNode.login(); code != 421 {
		t.Fatalf("a node without the server secret checked the code: %d, want 421", code)
	}
	if code := own.login(); code != 200 {
		t.Fatalf("the deployment's own node afterwards: %d", code)
	}
}

// TestServerSecretRotationKeepsTOTP: the documented rotation (docs/deploy.md)
// with an enrolled user: the new key second, then first, the janitor
// re-seals, then the old key is dropped; the user logs in with her
// authenticator at every stage, on either backend.
func TestServerSecretRotationKeepsTOTP(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	seedSession(t, st)
	clk := &stepClock{t: time.Now()}
	oldKey, newKey := keyText(1), keyText(2)
	a := openTOTPNode(t, st, clk, oldKey)
	a.enrol()
	sealed := storedTOTPSecret(t, st)
	for _, stage := range []struct {
		name string
		keys []string
	}{{"new key second", []string{oldKey, newKey}}, {"new key first", []string{newKey, oldKey}}} {
		if code := openTOTPNode(t, st, clk, stage.keys...).login(); code != 200 {
			t.Fatalf("%s: %d", stage.name, code)
		}
	}
	// A running node with the new key first: its janitor re-seals.
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL, cfg.Secret = "127.0.0.1:0", "unused-store-injected", newKey+","+oldKey
	r, err := app.Open(context.Background(), cfg, app.Options{Store: st, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
		JanitorInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	deadline := time.Now().Add(30 * time.Second) // a bound only: a pass comes every 20 ms
	for string(storedTOTPSecret(t, st)) == string(sealed) {
		if time.Now().After(deadline) {
			t.Fatal("the janitor never re-sealed the secret")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if code := openTOTPNode(t, st, clk, newKey).login(); code != 200 {
		t.Fatalf("old key dropped after the re-seal: %d", code)
	}
}

func storedTOTPSecret(t *testing.T, st storage.Storage) []byte {
	t.Helper()
	u, err := st.FindUser(context.Background(), storage.UserFilter{TenantID: manage.DefaultTenantID, Email: userEmail})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.ListTwoFactorMethods(context.Background(), u.ID)
	if err != nil || len(ms) != 1 {
		t.Fatalf("methods: %v %v", ms, err)
	}
	return ms[0].Secret
}
