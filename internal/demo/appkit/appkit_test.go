package appkit_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit"
	"github.com/latchkeyhq/latchkey/internal/demo/appkit/appkittest"
	"github.com/latchkeyhq/latchkey/jwtverify"
)

const appID = "5f1a2b3c-0000-4000-8000-0000000000aa"

// spec is a made-up application, "Garden", with its own table and app.js.
var spec = appkit.Spec{
	Name:   "Garden",
	Schema: `CREATE TABLE IF NOT EXISTS plants (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL);`,
	Web:    fstest.MapFS{"app.js": {Data: []byte("// garden\n")}},
}

// newApp serves the Garden with one API route that echoes the token's
// subject, one that fails with err, and one that decodes a small body.
func newApp(t *testing.T, trusted appkittest.Signer, fail error) (*appkit.App, *httptest.Server) {
	t.Helper()
	a, err := appkit.New(appkittest.Config(t, trusted, appID), spec)
	if err != nil {
		t.Fatal(err)
	}
	a.Handle("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		appkit.WriteJSON(w, http.StatusOK, map[string]string{"sub": c.Subject})
	})
	a.Handle("GET /api/fail", func(w http.ResponseWriter, r *http.Request) { a.Fail(w, fail) })
	a.Handle("POST /api/echo", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Name string }
		if err := appkit.DecodeJSON(w, r, 64, &req); err != nil {
			appkit.WriteError(w, http.StatusBadRequest, "invalid_request", "bad body")
			return
		}
		appkit.WriteJSON(w, http.StatusOK, req)
	})
	return a, appkittest.Serve(t, a)
}

// get fetches url without following redirects.
func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	full := appkittest.Config(t, appkittest.NewSigner(t, "k1"), appID)
	tests := []struct {
		name   string
		mutate func(*appkit.Config)
	}{
		{"no DBPath", func(c *appkit.Config) { c.DBPath = "" }},
		{"no IdentityURL", func(c *appkit.Config) { c.IdentityURL = "" }},
		{"no ApplicationID", func(c *appkit.Config) { c.ApplicationID = "" }},
		{"no Verifier", func(c *appkit.Config) { c.Verifier = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full
			cfg.DBPath = filepath.Join(t.TempDir(), "garden.db")
			db := cfg.DBPath
			tt.mutate(&cfg)
			a, err := appkit.New(cfg, spec)
			if err == nil {
				a.Close()
				t.Fatal("New accepted an incomplete config")
			}
			if !strings.HasPrefix(err.Error(), "garden: ") {
				t.Errorf("error %q does not name the application", err)
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused config created the database (%v)", err)
			}
		})
	}
}

func TestPage(t *testing.T) {
	_, srv := newApp(t, appkittest.NewSigner(t, "k1"), nil)
	url := srv.URL
	tests := []struct {
		path       string
		status     int
		typ        string
		containing string
	}{
		{"/", 200, "text/html", `<title>Garden · latchkey demo</title>`},
		{"/", 200, "text/html", `<body data-state="loading" class="garden">`},
		{"/", 200, "text/html", `id="login-form"`},
		{"/app.js", 200, "text/javascript", "// garden"},
		{"/shell.js", 200, "text/javascript", "export async function boot"},
		{"/style.css", 200, "text/css", "body.forums"},
		{"/index.html", 301, "", ""},
		{"/missing.js", 404, "text/plain", "404"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.containing, func(t *testing.T) {
			res, body := get(t, url+tt.path)
			if res.StatusCode != tt.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tt.typ) || !strings.Contains(body, tt.containing) {
				t.Errorf("status %d, type %q, want %d %q containing %q; body:\n%s", res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.typ, tt.containing, body)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' "+appkittest.Issuer+";") {
				t.Errorf("CSP %q must allow scripts only from self and the identity server", csp)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Last-Modified") != "" {
				t.Errorf("headers %v", res.Header)
			}
		})
	}
	res, body := get(t, url+"/config.json")
	want := `{"appName":"Garden","applicationId":"` + appID + `","identityURL":"` + appkittest.Issuer + `"}`
	if res.StatusCode != 200 || strings.TrimSpace(body) != want || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("config.json: %d %s %v, want %s", res.StatusCode, body, res.Header, want)
	}
}
