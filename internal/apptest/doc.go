// Package apptest starts the real latchkey App for full-stack tests: on
// 127.0.0.1:0, on a fresh database from sqlstorage.OpenTest (SQLite in
// t.TempDir(), or PostgreSQL when LATCHKEY_TEST_POSTGRES_DSN is set), closed
// in t.Cleanup, with a super API key ready to use.
//
// Only _test.go files may import it.
package apptest
