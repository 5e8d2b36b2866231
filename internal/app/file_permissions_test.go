//go:build unix

package app_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// withUmask sets the process's umask for the test (the usual 022: group and
// others may read what is created 0666) and restores it after. Tests that
// call it must not run in parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// serveSQLite opens and runs latchkey on the SQLite file db, logging into
// logs, until the test ends.
func serveSQLite(t *testing.T, db string, logs *loghygiene.Buffer) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", db
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = a.Close()
	})
	res, err := http.Get(a.URL() + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/api/status: %d", res.StatusCode)
	}
	return a
}

const readableWarning = "chmod 600"

// TestFreshDatabaseFilesArePrivate: a first start under umask 022 creates
// the SQLite database, its -wal and -shm files (and the server secret next
// to them) readable by their owner only: they hold the private signing
// keys, password hashes and refresh-token hashes. No warning is logged.
func TestFreshDatabaseFilesArePrivate(t *testing.T) {
	withUmask(t, 0o022)
	db := filepath.Join(t.TempDir(), "latchkey.db")
	var logs loghygiene.Buffer
	serveSQLite(t, db, &logs)

	for _, p := range []string{db, db + "-wal", db + "-shm", db + ".secret"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (the server runs in WAL mode: it should exist)", filepath.Base(p), err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), st.Mode().Perm())
		}
	}
	if strings.Contains(logs.String(), readableWarning) {
		t.Fatalf("a private database was reported as readable:\n%s", logs.String())
	}
}

// TestReadableDatabaseIsReported: latchkey started on an existing database
// that group and others may read logs a warning naming the file and the
// fix, and leaves the file's mode as the operator set it.
func TestReadableDatabaseIsReported(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	db := filepath.Join(dir, "latchkey.db")
	// An existing database: an empty file is one to SQLite.
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs loghygiene.Buffer
	serveSQLite(t, db, &logs)

	var warning string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, readableWarning) {
			warning = line
		}
	}
	if warning == "" || !strings.Contains(warning, "level=WARN") || !strings.Contains(warning, "file="+db) {
		t.Fatalf("no warning naming %s and the fix (%s):\n%s", db, readableWarning, logs.String())
	}
	st, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != fs.FileMode(0o644) {
		t.Fatalf("the operator's file was changed to %v; want it left at -rw-r--r--", got)
	}
}
