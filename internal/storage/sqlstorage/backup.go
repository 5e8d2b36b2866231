package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup copies the SQLite database at url into dest with VACUUM INTO
// (https://www.sqlite.org/lang_vacuum.html#vacuuminto): one read
// transaction, so the copy is a consistent snapshot even while latchkey
// writes (WAL lets the reader and the writer run together), compacted, and
// with the WAL folded in. It opens the database without migrating it and
// refuses to overwrite dest. It returns the copy's size.
func Backup(ctx context.Context, url, dest string) (int64, error) {
	dialect, target, err := parseURL(url)
	if err != nil {
		return 0, err
	}
	if dialect == DialectPostgres {
		return 0, errors.New("PostgreSQL is backed up with pg_dump (docs/deploy.md, \"Backup and restore\")")
	}
	if _, err := os.Stat(target); err != nil {
		return 0, fmt.Errorf("database %s: %w", target, err)
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(abs); err == nil {
		return 0, fmt.Errorf("%s exists; a backup never overwrites a file", dest)
	}
	src, _ := filepath.Abs(target)
	db, err := sql.Open("sqlite", sqliteDSN(src, false))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, abs); err != nil {
		_ = os.Remove(abs)
		return 0, fmt.Errorf("copy %s into %s: %w", target, dest, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
