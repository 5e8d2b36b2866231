package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestSeedCommand: `latchkey seed` with the Kickstart of scripts/scale
// (what docs/performance.md's scale runs use) writes users and tokens the
// server then serves: a seeded live refresh token refreshes. Without
// --application-id it refuses, exit 2.
func TestSeedCommand(t *testing.T) {
	const key = "seed-test-key-0123456789abcdef0123456789abcdef"
	t.Setenv("LATCHKEY_API_KEY", key)
	getenv := func(k string) string {
		if k == "LATCHKEY_API_KEY" {
			return key
		}
		return ""
	}
	db := filepath.Join(t.TempDir(), "seed.db")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"seed", "--users", "20", "--tokens", "100", "--database-url", db}, getenv, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "--application-id") {
		t.Fatalf("without --application-id: exit %d, stderr %q", code, errb.String())
	}
	code := run(context.Background(), []string{"seed", "--application-id", "5ca1e000-0000-4000-8000-00000000a001",
		"--users", "20", "--tokens", "100", "--database-url", db, "--kickstart", "../../scripts/scale/kickstart.json"}, getenv, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "20 users, 100 tokens") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	base, stop := serveFile(t, db, "")
	defer stop()
	res, err := http.Post(base+"/api/jwt/refresh", "application/json",
		strings.NewReader(`{"refreshToken":"`+sqlstorage.SeedTokenValue(3)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ RefreshToken string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK || body.RefreshToken == "" {
		t.Fatalf("refresh of a seeded token: %d, %v", res.StatusCode, err)
	}
}
