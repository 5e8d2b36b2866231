package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startOnFile runs an App that opens its own SQLite file (as `latchkey
// serve` does), on a clock the test moves.
func startOnFile(t *testing.T, clk *testClock) (*app.App, string) {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", filepath.Join(t.TempDir(), "latchkey.db")
	a, err := app.Open(context.Background(), cfg, app.Options{Now: clk.Now, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return a, a.URL()
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m
}

func check(m map[string]any, name string) any {
	c, _ := m["checks"].(map[string]any)
	return c[name]
}

// TestReadinessWhenSQLiteIsFull: with the SQLite database at its page limit
// (what a full disk is to SQLite's page allocator: every write that needs a
// new page fails with SQLITE_FULL), readiness and /api/status report 503
// "writes refused" once the write probe runs again, while liveness stays
// 200; when space is back, readiness returns. What it does not prove: the
// behaviour of a full filesystem under the WAL, which needs privileges this
// test does not take (docs/deploy.md says so).
func TestReadinessWhenSQLiteIsFull(t *testing.T) {
	clk := &testClock{t: time.Now()}
	a, url := startOnFile(t, clk)
	if code, m := get(t, url+"/readyz"); code != 200 || check(m, "writes") != "ok" {
		t.Fatalf("healthy /readyz: %d %v", code, m)
	}
	restore, err := a.Store().(*sqlstorage.Store).FillSQLiteForTest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second) // past the probe interval
	if code, m := get(t, url+"/readyz"); code != 503 || check(m, "writes") != "refused" || check(m, "database") != "ok" {
		t.Fatalf("/readyz on a full database: %d %v, want 503 with writes refused", code, m)
	}
	if code, m := get(t, url+"/api/status"); code != 503 || m["status"] != "unavailable" {
		t.Fatalf("/api/status on a full database: %d %v", code, m)
	}
	if code, _ := get(t, url+"/api/health"); code != 503 {
		t.Fatalf("/api/health on a full database: %d", code)
	}
	if code, m := get(t, url+"/livez"); code != 200 || m["status"] != "ok" {
		t.Fatalf("/livez on a full database: %d %v", code, m)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second) // a failing probe is retried every second
	if code, m := get(t, url+"/readyz"); code != 200 {
		t.Fatalf("/readyz after space came back: %d %v", code, m)
	}
	if code, _ := get(t, url+"/api/health"); code != 200 {
		t.Fatalf("/api/health after space came back: %d", code)
	}
}

// TestReadinessWhileMigrationsPending: a migration missing from the
// database (another node is still migrating, or one failed) makes the node
// not ready.
func TestReadinessWhileMigrationsPending(t *testing.T) {
	clk := &testClock{t: time.Now()}
	a, url := startOnFile(t, clk)
	if err := a.Store().(*sqlstorage.Store).ForgetLastMigrationForTest(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if code, m := get(t, url+"/readyz"); code != 503 || check(m, "migrations") != "1 pending" {
		t.Fatalf("/readyz with a pending migration: %d %v", code, m)
	}
	if code, _ := get(t, url+"/livez"); code != 200 {
		t.Fatalf("/livez: %d", code)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
