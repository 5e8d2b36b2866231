package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestThemesDirIsServed: LATCHKEY_THEMES_DIR's themes reach the hosted
// pages: a tenant theme's stylesheet is served, and a theme that does not
// parse stops the start.
func TestThemesDirIsServed(t *testing.T) {
	dir := t.TempDir()
	theme := filepath.Join(dir, manage.DefaultTenantID)
	if err := os.MkdirAll(theme, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(theme, "styles.css"), []byte("body { color: rebeccapurple }"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := apptest.Start(t, apptest.Options{Config: func(c *config.Config) { c.ThemesDir = dir }})
	res, err := http.Get(in.URL + "/theme/" + manage.DefaultTenantID + "/styles.css")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), "rebeccapurple") {
		t.Fatalf("theme stylesheet: %d %q", res.StatusCode, b)
	}

	if err := os.WriteFile(filepath.Join(theme, "login.html"), []byte(`{{define "content"}}{{.Broken`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.ThemesDir, cfg.DatabaseURL = dir, filepath.Join(t.TempDir(), "x.db")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		a.Close()
	}
	if err == nil || !strings.Contains(err.Error(), manage.DefaultTenantID) {
		t.Fatalf("a broken theme did not stop the start: %v", err)
	}
}
