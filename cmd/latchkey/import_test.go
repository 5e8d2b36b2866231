package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestImportCommand runs `latchkey import` against the in-process server:
// a file with a bad record in its second batch imports the first batch,
// names the record by its index in the file and exits 1; after the fix,
// --skip resumes and the imported users log in with their old password.
func TestImportCommand(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	env := func(k string) string { return map[string]string{"LATCHKEY_IMPORT_API_KEY": in.APIKey}[k] }
	// "password" under bcrypt cost 4, in FusionAuth's split form.
	mcf, err := bcrypt.GenerateFromPassword([]byte("password"), 4)
	if err != nil {
		t.Fatal(err)
	}
	salt, hash := string(mcf[7:29]), string(mcf[29:])
	user := func(email string) string {
		return `{"email":"` + email + `","password":"` + hash + `","encryptionScheme":"bcrypt","factor":4,"salt":"` + salt + `","active":true}`
	}
	write := func(bad bool) string {
		var users []string
		for i := range 5 {
			email := "moved" + string(rune('a'+i)) + "@example.test"
			if bad && i == 3 {
				email = "not an address"
			}
			users = append(users, user(email))
		}
		path := filepath.Join(t.TempDir(), "users.json")
		if err := os.WriteFile(path, []byte(`{"users":[`+strings.Join(users, ",")+`]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"import", "--url", in.URL, "--batch-size", "2", write(true)}, env, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "users[3].email: [notEmail]users[3].email") ||
		!strings.Contains(errOut.String(), "resume with --skip 2") || !strings.Contains(errOut.String(), "2 users were imported") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out.String(), errOut.String())
	}
	ctx := context.Background()
	for email, want := range map[string]bool{"moveda@example.test": true, "movedb@example.test": true, "movedc@example.test": false} {
		if _, err := in.Store.FindUser(ctx, storage.UserFilter{TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", Email: email}); (err == nil) != want {
			t.Fatalf("%s stored = %v, want %v", email, err == nil, want)
		}
	}
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"import", "--url", in.URL, "--batch-size", "2", "--skip", "2", write(false)}, env, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "imported 3 users in 2 batches") || !strings.Contains(out.String(), "skipped the first 2") {
		t.Fatalf("resume: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	res, body := in.Do(t, "POST", "/api/login", map[string]any{"loginId": "movede@example.test", "password": "password"})
	if res.StatusCode != 200 {
		t.Fatalf("login with the imported hash: %d %s", res.StatusCode, body)
	}
	if code := run(context.Background(), []string{"import", "--url", in.URL, "nope.json"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Fatalf("without an API key: exit %d", code)
	}
}
