package sqlstorage

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// deletedFiles lists the files this process holds open that have no name
// left: SQLite's temporary files, unlinked (or O_TMPFILE) when opened.
func deletedFiles(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasSuffix(target, " (deleted)") {
			out = append(out, target)
		}
	}
	return out
}

// TestSavepointJournalStaysInMemory: a group commit member (a savepoint in
// the writer's transaction, groupcommit.go) that changes about a hundred
// existing pages, several times what a login's RecordLogin changes, keeps
// its sub-journal in memory: no temporary file is created, written and
// closed for it (SQLite's default moved it to a file beyond 16 pages).
func TestSavepointJournalStaysInMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fd")
	}
	if stmtJournalErr != nil {
		t.Fatal(stmtJournalErr)
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "j.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
		INSERT INTO big (id, v) SELECT i, randomblob(3000) FROM n`); err != nil {
		t.Fatal(err)
	}
	before := len(deletedFiles(t))
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{`SAVEPOINT member`, `UPDATE big SET v = randomblob(3000)`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if open := deletedFiles(t); len(open) > before {
		t.Errorf("a savepoint over ~100 changed pages opened a temporary sub-journal file: %v", open)
	}
	if _, err := tx.ExecContext(ctx, `RELEASE member`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
