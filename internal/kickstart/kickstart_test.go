package kickstart_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const key = "kickstart-test-key-0123456789abcdef"

// writeFiles writes name -> content into a temp dir and returns the path of
// kickstart.json.
func writeFiles(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kickstart.json")
}

const spa = `{
  "variables": {"apiKey": "#{ENV.LK_TEST_KEY}", "appId": "#{UUID()}", "pw": "#{ENV.LK_TEST_PW}", "nick": "#{first}-x", "first": "ada"},
  "apiKeys": [{"key": "#{apiKey}", "description": "bootstrap"}],
  "requests": [
    {"method": "POST", "url": "/api/application/#{appId}", "body": {"application": {"name": "spa \\#{literal}",
      "data": {"notes": "@{notes.txt}"},
      "roles": [{"name": "user", "isDefault": true}]}}},
    "&{register.json}",
    {"method": "PATCH", "url": "/api/system-configuration", "body": {"systemConfiguration": {"corsConfiguration": {
      "enabled": true, "allowCredentials": true, "allowedOrigins": ["https://app.example.test"], "allowedMethods": ["GET", "POST"]}}}}
  ]
}`

const register = `{"method": "POST", "url": "/api/user/registration",
  "body": {"user": {"email": "a@example.com", "username": "#{nick}", "password": "#{pw}"}, "registration": {"applicationId": "#{appId}"}}}`

func TestKickstartSeedsOnceWithSubstitutions(t *testing.T) {
	t.Setenv("LK_TEST_KEY", key)
	t.Setenv("LK_TEST_PW", `pa"ss word, with quotes`)
	path := writeFiles(t, map[string]string{"kickstart.json": spa, "register.json": register, "notes.txt": "line 1\n\"line\" 2"})
	store := sqlstorage.OpenTest(t)
	start := func() *apptest.Instance {
		in := apptest.Start(t, apptest.Options{Store: store, Config: func(c *config.Config) { c.Kickstart = path }})
		in.APIKey = key
		return in
	}
	in := start()
	resp, body := in.Do(t, "GET", "/api/user?loginId=ada-x", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("kickstart user not found: %d %s", resp.StatusCode, body)
	}
	_, apps := in.Do(t, "GET", "/api/application", nil)
	for _, want := range []string{`"spa #{literal}"`, `"line 1\n\"line\" 2"`, `"user"`} {
		if !strings.Contains(string(apps), want) {
			t.Errorf("applications lack %s: %s", want, apps)
		}
	}
	_, sc := in.Do(t, "GET", "/api/system-configuration", nil)
	if !strings.Contains(string(sc), `"https://app.example.test"`) {
		t.Errorf("cors not applied: %s", sc)
	}

	// A second start with the same file changes nothing.
	in2 := start()
	_, apps2 := in2.Do(t, "GET", "/api/application", nil)
	if strings.Count(string(apps2), `"name":"spa`) != 1 {
		t.Fatalf("second start duplicated applications: %s", apps2)
	}
}

func TestKickstartFailures(t *testing.T) {
	t.Setenv("LK_TEST_KEY", key)
	tests := []struct {
		name  string
		file  string
		wants []string
	}{
		{"failing request names number, method, url, status and body", `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}"}],"requests":[
			{"method":"POST","url":"/api/application","body":{"application":{"name":"ok"}}},
			{"method":"POST","url":"/api/user","body":{"user":{"email":"not-an-email","password":"correct horse"}}}]}`,
			[]string{"request 2", "POST /api/user", "status 400", "[notEmail]user.email"}},
		{"unset environment variable", `{"apiKeys":[{"key":"#{ENV.LK_TEST_UNSET_VAR}"}],"requests":[]}`, []string{"LK_TEST_UNSET_VAR is not set"}},
		{"unknown variable", `{"apiKeys":[{"key":"#{nope}"}]}`, []string{"#{nope}"}},
		{"no api key", `{"requests":[]}`, []string{"apiKeys"}},
		{"restricted first key", `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}","permissions":{"endpoints":{"/api/user":["GET"]}}}]}`, []string{"unrestricted"}},
		{"missing include", `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}"}],"requests":["&{missing.json}"]}`, []string{"missing.json"}},
		{"not JSON", `{"apiKeys": [`, []string{"not valid Kickstart JSON"}},
		{"tenant that does not exist", `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}"},
			{"key":"kickstart-tenant-key-0123456789","description":"other","tenantId":"00000000-0000-4000-8000-000000000000"}]}`,
			[]string{`apiKeys[1] ("other")`, "tenantId 00000000-0000-4000-8000-000000000000: no such tenant"}},
		{"unknown endpoint", `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}"},
			{"key":"kickstart-store-key-0123456789","permissions":{"endpoints":{"/api/users":["GET"]}}}]}`,
			[]string{`apiKeys[1]`, `[/api/users]`}},
		{"self-referencing variable", `{"variables":{"a":"#{a}"},"apiKeys":[{"key":"#{a}"}]}`, []string{"refers to itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := sqlstorage.OpenTest(t)
			cfg := config.Default()
			cfg.Addr = "127.0.0.1:0"
			cfg.Kickstart = writeFiles(t, map[string]string{"kickstart.json": tt.file})
			a, err := app.Open(context.Background(), cfg, app.Options{Store: store})
			if err == nil {
				a.Close()
				t.Fatal("start succeeded")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			// Nothing was claimed or written: a fixed file runs.
			assertUntouched(t, store)
		})
	}
}

// TestKickstartAppliedNeedsNoEnvironment: once the Kickstart is applied, a
// later start skips the file without reading it, so the bootstrap secrets
// (#{ENV.X}) can be removed from the environment, as they should be.
func TestKickstartAppliedNeedsNoEnvironment(t *testing.T) {
	t.Setenv("LK_TEST_KEY", key)
	path := writeFiles(t, map[string]string{"kickstart.json": `{"apiKeys":[{"key":"#{ENV.LK_TEST_KEY}"}],"requests":[]}`})
	store := sqlstorage.OpenTest(t)
	open := func() error {
		cfg := config.Default()
		cfg.Addr, cfg.Kickstart = "127.0.0.1:0", path
		a, err := app.Open(context.Background(), cfg, app.Options{Store: store})
		if err == nil {
			a.Close()
		}
		return err
	}
	if err := open(); err != nil {
		t.Fatal(err)
	}
	os.Unsetenv("LK_TEST_KEY") // t.Setenv restores it after the test
	if err := open(); err != nil {
		t.Fatalf("second start without the bootstrap key in the environment: %v", err)
	}
}
