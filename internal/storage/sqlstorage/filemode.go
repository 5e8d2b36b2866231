package sqlstorage

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
)

// privateSQLiteFile makes the SQLite database at path, when it does not
// exist, as an empty file of mode 0600 before SQLite opens it: the database
// holds the private signing keys, password hashes and refresh-token hashes,
// and SQLite would create it 0644 under the usual umask. SQLite's unix VFS
// gives the -wal, -shm and -journal files it creates the database file's
// mode (whatever the umask), so they are 0600 too; an empty file is an empty
// database to SQLite. An existing database (or a leftover -wal or -shm)
// that its group or others may read is logged, not changed: the file is
// the operator's (docs/deploy.md "File permissions";
// TestFreshDatabaseFilesArePrivate, TestReadableDatabaseIsReported).
func privateSQLiteFile(path string, log *slog.Logger) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_ = f.Close()
		return
	}
	// A missing directory and the like: SQLite's own error says it. Windows
	// has no Unix permission bits to read.
	if !errors.Is(err, fs.ErrExist) || runtime.GOOS == "windows" {
		return
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		log.Warn("the database file is readable by other users: it holds signing keys and password hashes; "+
			"restrict it with chmod 600 (latchkey does not change it)", "file", p, "mode", st.Mode().Perm().String())
	}
}
