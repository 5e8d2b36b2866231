package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
)

// serveFile runs latchkey on the SQLite file db with a Kickstart making an
// API key, an application and a user; it returns the base URL and a stop.
func serveFile(t *testing.T, db, kickstart string) (string, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL, cfg.Kickstart = "127.0.0.1:0", db, kickstart
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return a.URL(), func() { cancel(); <-done; a.Close() }
}

const backupKey = "backup-test-key-0123456789abcdef0123456789"

func backupKickstart(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "kickstart.json")
	k := `{"apiKeys":[{"key":"` + backupKey + `"}],"requests":[
	  {"method":"POST","url":"/api/user","body":{"user":{"email":"first@example.com","password":"first-user-password"}}}]}`
	if err := os.WriteFile(p, []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func post(t *testing.T, url, body string) int {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", backupKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestBackupWhileServingRestores: `latchkey backup` copies the database
// while latchkey keeps creating users; latchkey started on the copy (with
// no Kickstart) logs in a user created before the backup, and holds every
// user whose creation had been acknowledged when the backup started.
func TestBackupWhileServingRestores(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	url, stop := serveFile(t, db, backupKickstart(t))
	defer stop()

	var created atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writes keep landing while the backup runs
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			default:
			}
			if post(t, url+"/api/user", fmt.Sprintf(`{"user":{"email":"u%d@example.com","password":"password-%d-long"}}`, i, i)) == 200 {
				created.Add(1)
			}
		}
	}()
	for created.Load() < 5 {
		time.Sleep(10 * time.Millisecond)
	}
	ackedBefore := created.Load()
	copyPath := filepath.Join(dir, "copy.db")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"backup", "--database-url", db, copyPath}, noEnv, &out, &errOut)
	close(quit)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"backup", "--database-url", db, copyPath}, noEnv, &out, &errOut); code == 0 {
		t.Fatal("a second backup overwrote the first")
	}

	url2, stop2 := serveFile(t, copyPath, "")
	defer stop2()
	if c := post(t, url2+"/api/login", `{"loginId":"first@example.com","password":"first-user-password"}`); c != 200 {
		t.Fatalf("login on the restored copy: %d", c)
	}
	for i := range ackedBefore {
		if c := post(t, url2+"/api/login", fmt.Sprintf(`{"loginId":"u%d@example.com","password":"password-%d-long"}`, i, i)); c != 200 {
			t.Fatalf("user u%d, acknowledged before the backup began, cannot log in on the copy: %d", i, c)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
