// Package sqlstorage is latchkey's one SQL implementation of storage.Storage,
// for two dialects: SQLite (modernc.org/sqlite, pure Go, the default) and
// PostgreSQL (jackc/pgx/v5, for several nodes sharing one database).
//
// It owns the schema (numbered, embedded migrations per dialect), the mapping
// of driver errors onto storage.ErrNotFound/ErrConflict/ErrUnavailable, and the
// atomicity every contract method promises (refresh rotation is a single-row
// compare-and-swap; lockout counting is one upsert). Where the dialects differ,
// the SQL is written side by side; queries are never rewritten with regexes.
// Files are named by role (lockout.go, signing_keys.go, tx.go, ...). On
// PostgreSQL it also runs the change feed (changes.go): triggers notify, a
// dedicated connection listens.
//
// It must not import net/http or any latchkey package other than storage.
package sqlstorage
