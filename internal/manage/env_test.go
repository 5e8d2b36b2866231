package manage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// The use cases run on the real store (SQLite, or PostgreSQL when
// LATCHKEY_TEST_POSTGRES_DSN is set), without HTTP: what a second caller
// (an admin console, Kickstart) would get.

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// openStore is a fresh database with the default tenant, hashing cheaply.
func openStore(t *testing.T) storage.Storage {
	t.Helper()
	st := sqlstorage.OpenTest(t)
	ctx := context.Background()
	if err := manage.EnsureDefaults(ctx, st, "https://login.example.test", now); err != nil {
		t.Fatal(err)
	}
	tn, err := st.GetTenant(ctx, manage.DefaultTenantID)
	if err != nil {
		t.Fatal(err)
	}
	tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000 // the cost is benchmarked in internal/password
	if err := st.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	return st
}

// failingIssuer is the token minting of internal/auth failing (a signing or
// storage fault after the user was stored).
type failingIssuer struct{}

var errMint = errors.New("minting failed")

func (failingIssuer) Issue(context.Context, auth.IssueRequest) (auth.Tokens, error) {
	return auth.Tokens{}, errMint
}

// problems lists an *Invalid's problems as "[kind]field", or fails.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var inv *manage.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("error %v, want *manage.Invalid", err)
	}
	var out []string
	for _, p := range inv.Problems {
		out = append(out, "["+p.Kind+"]"+p.Field)
	}
	return out
}
