package sqlstorage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the PostgreSQL advisory lock that serialises migrations
// across nodes: N nodes starting at once migrate once, the others wait and
// then find nothing to do. (Arbitrary constant: "latchkey" in ASCII.)
const migrationLockKey int64 = 0x6c617463686b6579

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's embedded files NNNN_name.<dialect>.sql in order.
func migrations(dialect string) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*."+dialect+".sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, path := range names {
		base := strings.TrimPrefix(path, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlstorage: migration %s: name must start with a number", base)
		}
		body, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies pending migrations in one transaction. DDL is transactional
// in both SQLite and PostgreSQL, so a failed migration leaves the schema as it
// was. On SQLite the write transaction is BEGIN IMMEDIATE, which already
// excludes other processes; on PostgreSQL an advisory transaction lock does.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(q querier) error {
		if s.dialect == DialectPostgres {
			if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
				return err
			}
		}
		if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := q.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if step := migrationSteps[m.version]; step != nil {
				if err := step(ctx, q); err != nil {
					return fmt.Errorf("migration %s: %w", m.name, err)
				}
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, time.Now().UnixMilli()); err != nil {
				return err
			}
			s.logger.Info("applied migration", "dialect", s.dialect, "migration", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstorage: migrate %s: %w", s.dialect, err)
	}
	return nil
}
