package sqlstorage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A database migrated before the two-phase claim (0001 only) keeps its
// meaning across migration 0002: a claim row left by 0001 was a completed
// Kickstart (failures deleted theirs), so it must read as done and must not
// run again; a database without the row has no Kickstart yet.
func TestKickstartMigrationKeepsCompletedClaims(t *testing.T) {
	ms, err := migrations(DialectSQLite)
	if err != nil || len(ms) < 2 || ms[0].version != 1 {
		t.Fatalf("migrations: %v %v", ms, err)
	}
	for _, tt := range []struct {
		name     string
		claimRow bool
	}{{"claimed under 0001", true}, {"never claimed", false}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
				ms[0].sql, `INSERT INTO schema_migrations VALUES (1, '` + ms[0].name + `', 0)`}
			if tt.claimRow {
				stmts = append(stmts, `INSERT INTO kickstart (id, claimed_at) VALUES (1, 1700000000000)`)
			}
			for _, q := range stmts {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			done, err := s.KickstartDone(ctx)
			if err != nil || done != tt.claimRow {
				t.Fatalf("KickstartDone = %v, %v; want %v", done, err, tt.claimRow)
			}
			now := time.Now()
			if claimed, err := s.ClaimKickstart(ctx, "new-node", now, now.Add(time.Hour)); err != nil || claimed == tt.claimRow {
				t.Fatalf("ClaimKickstart = %v, %v; want %v", claimed, err, !tt.claimRow)
			}
		})
	}
}
