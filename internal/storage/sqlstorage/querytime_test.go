package sqlstorage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestQueryLatencyRecorded: a store opened with QueryMetrics records
// db_client_operation_duration_seconds for reads, transactions and their
// commits, labelled by database system and operation, and a failing
// statement under error_type (the driver's error type, never its message).
func TestQueryLatencyRecorded(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			qm, err := NewQueryMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			url := filepath.Join(t.TempDir(), "latchkey.db")
			wantErr := "modernc.org/sqlite."
			if backend == "postgresql" {
				dsn := postgresDSN(t)
				var drop func() error
				if url, drop, err = NewTestSchema(ctx, dsn); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = drop() })
				wantErr = "github.com/jackc/pgx/v5/pgconn." // PrepareError around a PgError
			}
			s, err := Open(ctx, url, Options{QueryMetrics: qm})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// A second store on the same registry shares the histogram.
			if _, err := NewQueryMetrics(reg); err != nil {
				t.Fatalf("second NewQueryMetrics on one registry: %v", err)
			}

			if err := s.tx(ctx, func(q querier) error {
				_, err := q.ExecContext(ctx, `DELETE FROM api_keys WHERE id = $1`, "none")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE id = $1`, "none").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if _, err := s.r.ExecContext(ctx, `UPDATE no_such_table SET x = $1`, 1); err == nil {
				t.Fatal("statement on a missing table succeeded")
			}

			counts := map[[3]string]uint64{}
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fams {
				if f.GetName() != "db_client_operation_duration_seconds" {
					continue
				}
				for _, m := range f.Metric {
					counts[[3]string{label(m, "db_system_name"), label(m, "db_operation_name"), label(m, "error_type")}] += m.GetHistogram().GetSampleCount()
				}
			}
			reads := counts[[3]string{backend, "sql.stmt.query", ""}] + counts[[3]string{backend, "sql.conn.query", ""}]
			if reads == 0 || counts[[3]string{backend, "sql.conn.begin_tx", ""}] == 0 || counts[[3]string{backend, "sql.tx.commit", ""}] == 0 {
				t.Errorf("no reads, begins or commits recorded: %v", counts)
			}
			var failed uint64
			for k, n := range counts {
				if k[0] == backend && (k[1] == "sql.conn.exec" || k[1] == "sql.conn.prepare") && strings.HasPrefix(k[2], wantErr) &&
					!strings.Contains(k[2], "no_such_table") {
					failed += n
				}
			}
			if failed == 0 {
				t.Errorf("the failed statement is not recorded with error_type %s: %v", wantErr, counts)
			}
		})
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
