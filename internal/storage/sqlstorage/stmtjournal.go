package sqlstorage

import (
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtJournalSpill is how large, in bytes, a SQLite sub-journal (the
// statement journal, and the savepoint journal the group commit opens per
// member, groupcommit.go) may grow in memory before SQLite moves it to a
// temporary file (https://www.sqlite.org/c3ref/c_config_covering_index_scan.html,
// SQLITE_CONFIG_STMTJRNL_SPILL). SQLite's default, 64 KiB, is 16 pages of
// 4 KiB: a successful login's RecordLogin changes about that many (the user,
// the registration, the lockout counters, the refresh token and the login
// record, each with its indexes), so nearly every group that held a login
// opened, wrote and closed a temporary file (open, a pwrite per page, close:
// ≈ 0.15 ms of CPU per login, issue 13, docs/performance.md). 1 MiB keeps
// every ordinary member in memory and still bounds the memory of a very
// large statement (an application's cascade over millions of refresh
// tokens): beyond it the journal spills to a file as before. The
// sub-journal is never synced and is deleted when the transaction ends, so
// where it lives changes nothing about durability.
const stmtJournalSpill = 1 << 20

// stmtJournalErr is the outcome of setting stmtJournalSpill; nil once set.
// Setting it can only fail when SQLite was initialized before this package
// (sqlite3_config is refused once a connection has been opened): sub-journals
// then spill at SQLite's default, which costs CPU and nothing else.
var stmtJournalErr = configureStmtJournal()

// configureStmtJournal sets SQLITE_CONFIG_STMTJRNL_SPILL, process-wide,
// before any connection opens (package initialization runs before Open).
func configureStmtJournal() error {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.NewVaList(int32(stmtJournalSpill))
	if va == 0 {
		return fmt.Errorf("sqlstorage: statement journal spill: out of memory")
	}
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_STMTJRNL_SPILL, va); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlstorage: sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL) returned %d", rc)
	}
	return nil
}
