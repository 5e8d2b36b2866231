package tscompat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// TestTypeScriptClientEvents drives issue 14's APIs with FusionAuth's
// TypeScript client (events.test.mjs): createLambda and an application
// whose tokens it populates, importUsers with a bcrypt hash the imported
// user then logs in with, createWebhook with a signed delivery to a
// receiver in the node process, patchTenant's eventConfiguration, and
// deleteUserWithRequest's {hardDelete: true} (the user gone, user.delete
// delivered, the email free again), and the bulk delete: deleteUsers with
// dryRun (nothing changes), deactivateUsersByIds (deactivated),
// deleteUsersByQuery with hardDelete (gone), an Elasticsearch query refused.
func TestTypeScriptClientEvents(t *testing.T) {
	node := need(t, "node")
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@fusionauth", "typescript-client")); err != nil {
		run(t, ctx, dir, nil, need(t, "npm"), "ci", "--no-audit", "--no-fund")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("old password from elsewhere"), 4)
	if err != nil {
		t.Fatal(err)
	}
	in := apptest.Start(t, apptest.Options{})
	run(t, ctx, dir, []string{
		"LATCHKEY_URL=" + in.URL,
		"LATCHKEY_API_KEY=" + in.APIKey,
		"LATCHKEY_TENANT_ID=" + manage.DefaultTenantID,
		"LATCHKEY_BCRYPT_HASH=" + string(hash),
	}, node, "--test", "--test-concurrency=1", "events.test.mjs")
}
