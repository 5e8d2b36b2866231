package tscompat

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// kickstartAppID is the SPA application the Kickstart creates, with one user
// registered through the combined form, as FusionAuth's own client CI does.
const kickstartAppID = "7d4b6c1e-2f0a-4c3e-8b5d-0000000000c1"

// kickstart is a FusionAuth Kickstart in the shape fusionauth-api.md §7.6
// shows; %s is the API key.
const kickstart = `{
  "variables": {"apiKey": "%s", "appId": "` + kickstartAppID + `"},
  "apiKeys": [{"key": "#{apiKey}", "description": "ts compat"}],
  "requests": [
    {"method": "POST", "url": "/api/application/#{appId}", "body": {"application": {
      "name": "kickstart-spa",
      "loginConfiguration": {"allowTokenRefresh": true, "generateRefreshTokens": true, "requireAuthentication": false},
      "jwtConfiguration": {"enabled": true, "timeToLiveInSeconds": 300, "refreshTokenTimeToLiveInMinutes": 60,
                           "refreshTokenUsagePolicy": "OneTimeUse"},
      "roles": [{"name": "user", "isDefault": true}]}}},
    {"method": "POST", "url": "/api/user/registration", "body": {
      "user": {"email": "kick@example.com", "password": "correct horse battery staple"},
      "registration": {"applicationId": "#{appId}"}}}
  ]
}`

// need finds a program; without it the test skips, except in CI
// (LATCHKEY_REQUIRE_ALL=1) where a missing tool must fail the run.
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is required (LATCHKEY_REQUIRE_ALL=1): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// run executes a command in dir and fails the test with its output.
func run(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out.String())
	}
	if testing.Verbose() {
		t.Logf("%s %v:\n%s", filepath.Base(name), args, out.String())
	}
}

func TestTypeScriptClient(t *testing.T) {
	node := need(t, "node")
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	installClient(t, ctx, dir)

	key := rand.Text() + rand.Text()
	in := apptest.Start(t, apptest.Options{Kickstart: fmt.Sprintf(kickstart, key)})
	// What a refused email and a failed webhook delivery write, for
	// eventlog.test.mjs (nothing in the API creates an entry).
	for _, m := range []string{
		"Failed to send the email with template [none] to [kick@example.com] (attempt 1, gave up): mail: send: 550 SMTP recipient refused",
		"Failed to deliver the event [user.create] to the webhook with Id [0f1a2b3c-0000-4000-8000-0000000000aa] (attempt 1, gave up): webhook answered 500",
	} {
		if _, err := in.Store.CreateEventLog(ctx, storage.EventLog{InsertInstant: time.Now().UnixMilli(), Type: storage.EventLogError, Message: m}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, dir, []string{
		"LATCHKEY_URL=" + in.URL,
		"LATCHKEY_API_KEY=" + key,
		"LATCHKEY_APP_ID=" + kickstartAppID,
		"LATCHKEY_TENANT_ID=" + manage.DefaultTenantID,
	}, node, "--test", "--test-concurrency=1", "flow.test.mjs", "accounts.test.mjs", "mfa.test.mjs", "comments.test.mjs", "family.test.mjs", "eventlog.test.mjs", "idplinks.test.mjs", "email_send.test.mjs", "consent.test.mjs", "exports.test.mjs", "verifyreg.test.mjs", "idpstart.test.mjs", "reconcile.test.mjs")
}

// installClient runs npm ci once, when the pinned client is not installed.
func installClient(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@fusionauth", "typescript-client")); err != nil {
		npm := need(t, "npm")
		run(t, ctx, dir, nil, npm, "ci", "--no-audit", "--no-fund")
	}
}
