//go:build unix

package sqlstorage

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestBackupIsPrivate: `latchkey backup`'s copy holds what the database
// holds (signing keys, password hashes), so under umask 022 it is made
// readable by its owner only, and so is any file SQLite leaves next to it;
// an existing file is still never overwritten.
func TestBackupIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	s, err := Open(ctx, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	dest := filepath.Join(dir, "copy.db")
	if _, err := Backup(ctx, db, dest); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(dest + "*")
	if len(files) == 0 {
		t.Fatal("no backup written")
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(f), st.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(dest)
	if _, err := Backup(ctx, db, dest); err == nil {
		t.Fatal("a second backup into the same file succeeded")
	}
	if after, _ := os.ReadFile(dest); string(after) != string(before) {
		t.Fatal("a refused backup changed the existing file")
	}
}
