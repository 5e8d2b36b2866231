package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminCommandMakesAConsoleAdmin: `latchkey admin` on a fresh database
// makes a user who then signs in to the console of the server started on
// that database; a second run for the same address changes nothing and
// succeeds; a password the tenant's rules refuse is reported, exit 1.
func TestAdminCommandMakesAConsoleAdmin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "admin.db")
	env := map[string]string{"LATCHKEY_ADMIN_PASSWORD": "the first admin password"}
	getenv := func(k string) string { return env[k] }
	for i := range 2 {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"admin", "--email", "root@example.test", "--database-url", db}, getenv, &out, &errb)
		if code != 0 || !strings.Contains(out.String(), "root@example.test") || !strings.Contains(out.String(), "/admin/") {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q", i+1, code, out.String(), errb.String())
		}
	}
	env["LATCHKEY_ADMIN_PASSWORD"] = "short"
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"admin", "--email", "other@example.test", "--database-url", db}, getenv, &out, &errb); code != 1 {
		t.Fatalf("a too short password: exit %d, stderr %q", code, errb.String())
	}

	base, stop := serveFile(t, db, "")
	defer stop()
	form := url.Values{"loginId": {"root@example.test"}, "password": {"the first admin password"}}
	req, _ := http.NewRequest("POST", base+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://localhost:9011") // the default issuer: the console's origin
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "latchkey_console=") {
		t.Fatalf("the new admin's console sign-in: %d, Set-Cookie %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
}
