package multinode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// binary is the latchkey program built once for every test; empty when
// PostgreSQL is not configured (nothing to run it against).
var binary string

// TestMain builds cmd/latchkey once. The build is skipped without a
// PostgreSQL DSN so that `go test ./...` stays fast on a laptop; each test
// then skips (or fails under LATCHKEY_REQUIRE_ALL=1) in requirePostgres.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(sqlstorage.TestPostgresEnv) != "" {
		dir, err := os.MkdirTemp("", "latchkey-multinode-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "multinode:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "latchkey")
		cmd := exec.Command("go", "build", "-o", binary, "github.com/latchkeyhq/latchkey/cmd/latchkey")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "multinode: build latchkey:", err)
			return 1
		}
	}
	return m.Run()
}

// requirePostgres returns the base DSN, or skips the test (fails it when
// LATCHKEY_REQUIRE_ALL=1, as in CI, so a missing database cannot pass).
func requirePostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(sqlstorage.TestPostgresEnv)
	if dsn == "" {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is not set and LATCHKEY_REQUIRE_ALL=1: start one with scripts/postgres-test.sh", sqlstorage.TestPostgresEnv)
		}
		t.Skipf("%s not set: multi-node tests need PostgreSQL (scripts/postgres-test.sh)", sqlstorage.TestPostgresEnv)
	}
	return dsn
}
