package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// runBackup is `latchkey backup [--database-url URL] FILE`: an online,
// consistent copy of the SQLite database into FILE (which must not exist),
// safe while latchkey serves. PostgreSQL is backed up with its own tools
// (pg_dump; docs/deploy.md "Backup and restore").
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	db := config.Default().DatabaseURL
	if v := getenv("LATCHKEY_DATABASE_URL"); v != "" {
		db = v
	}
	fs.StringVar(&db, "database-url", db, "the database to copy (env LATCHKEY_DATABASE_URL)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey backup [--database-url FILE] BACKUP-FILE\n\n"+
			"Copies the SQLite database into BACKUP-FILE (which must not exist) in one consistent\n"+
			"snapshot, while latchkey keeps serving. Restore: stop latchkey, put the copy in place\n"+
			"of the database file (and remove its -wal and -shm files), start latchkey.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	n, err := sqlstorage.Backup(ctx, db, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "latchkey backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "latchkey backup: wrote %s (%d bytes)\n", fs.Arg(0), n)
	return 0
}
