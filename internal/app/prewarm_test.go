package app_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// TestServerPrewarmsItsSQLiteFileByDefault: a server opened with the
// default settings starts the prewarm of its SQLite file, which logs what it
// did (asked the file in; or skipped, where it cannot: another operating
// system, a cgroup without room; what the prewarm does is sqlstorage's
// prewarm tests); LATCHKEY_SQLITE_PREWARM=off starts none.
func TestServerPrewarmsItsSQLiteFileByDefault(t *testing.T) {
	open := func(prewarm string) string {
		t.Helper()
		var logs loghygiene.Buffer
		cfg := config.Default()
		cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", filepath.Join(t.TempDir(), "latchkey.db")
		if prewarm != "" {
			cfg.SQLitePrewarm = prewarm
		}
		a, err := app.Open(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		// The prewarm runs in the background; the deadline only keeps a
		// broken one from hanging the test (a fresh file is read at once).
		for deadline := time.Now().Add(30 * time.Second); prewarm != "off" && !strings.Contains(logs.String(), "sqlite prewarm") && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		return logs.String() // complete: closing the store waits for its prewarm
	}
	if got := open(""); !strings.Contains(got, "sqlite prewarm") || (runtime.GOOS == "linux" && strings.Contains(got, "sqlite prewarm failed")) {
		t.Fatalf("default settings: no prewarm in the log:\n%s", got)
	}
	if got := open("off"); strings.Contains(got, "prewarm") {
		t.Fatalf("LATCHKEY_SQLITE_PREWARM=off: the log mentions a prewarm:\n%s", got)
	}
}
