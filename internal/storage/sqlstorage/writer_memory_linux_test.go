//go:build linux

package sqlstorage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// memChildEnv names the database the child of
// TestLargeCascadeKeepsTheWriterMemoryBounded deletes from.
const memChildEnv = "LATCHKEY_TEST_WRITER_MEMORY_CHILD"

// cascadeRows child rows of about 250 bytes (a refresh token's size) fill
// about 32 MiB of pages: an application's refresh tokens at issue 13's
// scale (10,000,000) are hundreds of times more.
const (
	cascadeRows = 120_000
	cascadeKiB  = 32 * 1024
)

// TestLargeCascadeKeepsTheWriterMemoryBounded: deleting a parent row whose
// ON DELETE CASCADE removes 32 MiB of child rows (the shape of
// DeleteApplication over an application's refresh tokens, or of a tenant's
// deletion) runs as a group-commit member, so SQLite journals the original
// of every page it changes in the member's savepoint (sub-)journal. That
// journal must spill to a temporary file, as SQLite does by default past
// 64 KiB, and not grow in the process's memory with the size of the write:
// with temp_store=MEMORY on the writer the process's peak memory grew by
// twice the pages deleted (137 MiB for 64 MiB), and an operator's application delete at 10,000,000
// tokens needs gigabytes of RAM at once. The child process measures its
// own peak resident memory (VmHWM) around the delete.
func TestLargeCascadeKeepsTheWriterMemoryBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latchkey.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE cparent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE cchild (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES cparent (id) ON DELETE CASCADE, b BLOB NOT NULL)`,
		`CREATE INDEX cchild_parent ON cchild (parent)`,
		`INSERT INTO cparent (id) VALUES (1)`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO cchild (id, parent, b) SELECT i, 1, randomblob(250) FROM n`, cascadeRows),
	} {
		if _, err := s.exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestLargeCascadeChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), memChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var grewKiB int64 = -1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "peak-growth-kib "); ok {
			grewKiB, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if grewKiB < 0 {
		t.Fatalf("the child reported no measurement:\n%s", out)
	}
	t.Logf("peak resident memory grew by %d KiB for a cascade over %d KiB of pages", grewKiB, cascadeKiB)
	if grewKiB > cascadeKiB/2 {
		t.Fatalf("deleting %d KiB of rows grew the process's peak memory by %d KiB: the write's journal is held in memory", cascadeKiB, grewKiB)
	}
}

// TestLargeCascadeChild is the measuring process of the test above; it does
// nothing unless started by it.
func TestLargeCascadeChild(t *testing.T) {
	s, ok := childStore(t, memChildEnv)
	if !ok {
		return
	}
	defer s.Close()
	ctx := context.Background()
	before := vmHWMKiB(t)
	// In a savepoint, as the group commit runs every member of a group of
	// two or more (groupcommit.go, together): a delete that commits beside
	// any other write, such as a login's, is one.
	err := s.tx(ctx, func(q querier) error {
		for _, stmt := range []string{`SAVEPOINT member`, `DELETE FROM cparent WHERE id = 1`, `RELEASE member`} {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	var left int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM cchild`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("children left: %d, %v", left, err)
	}
	fmt.Printf("peak-growth-kib %d\n", vmHWMKiB(t)-before)
}

// vmHWMKiB is this process's peak resident set size so far.
func vmHWMKiB(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
