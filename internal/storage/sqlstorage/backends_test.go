package sqlstorage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// The store tests of this package choose their backend themselves instead
// of through OpenTest, which follows LATCHKEY_TEST_POSTGRES_DSN: CI sets
// it and runs this package once (scripts/test), so a test on OpenTest ran
// on PostgreSQL only there, and a SQLite-only test skipped. A test of both
// backends runs each in one pass, as the conformance suite does.

// onEachBackend runs test as subtests "sqlite" and "postgres", each with a
// fresh migrated store opened as OpenTest opens it on that backend. The
// postgres subtest skips without a DSN, and fails under
// LATCHKEY_REQUIRE_ALL=1 (postgresDSN).
func onEachBackend(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Helper()
	forEachBackend(t, func(t *testing.T, dialect string) { test(t, openTestOn(t, dialect)) })
}

// forEachBackend runs test as a subtest per dialect, for tests that open
// their stores themselves (reopenableTestStore).
func forEachBackend(t *testing.T, test func(t *testing.T, dialect string)) {
	t.Helper()
	for _, dialect := range []string{DialectSQLite, DialectPostgres} {
		t.Run(dialect, func(t *testing.T) { test(t, dialect) })
	}
}

// openTestOn opens OpenTest's store on dialect, whatever the environment
// says; PostgreSQL skips (or fails) as postgresDSN does without a DSN.
func openTestOn(t testing.TB, dialect string) *Store {
	t.Helper()
	if dialect == DialectPostgres {
		return openTestPostgres(t, postgresDSN(t))
	}
	return openTestSQLite(t)
}

// TestStoreTestsChooseTheirBackend: no test of this package opens its store
// through OpenTest (but the test of OpenTest itself), so none runs on one
// backend only because of the environment it happens to run in.
func TestStoreTestsChooseTheirBackend(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Name.Name == "TestOpenTestHelper" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "OpenTest" {
						t.Errorf("%s: %s opens its store with OpenTest, which follows %s: use onEachBackend or openTestOn",
							fset.Position(call.Pos()), fn.Name.Name, TestPostgresEnv)
					}
				}
				return true
			})
		}
	}
}
