package sqlstorage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// NewTestDatabase returns the URL of an empty, migrated PostgreSQL database
// of its own on the server of dsn, and a function to call once nothing is
// connected to it any more, which has it emptied for the next test (or
// dropped) while the test ends.
//
// Migrating an empty schema runs every migration's DDL, a quarter to half a
// second of the server's CPU per store, and the suites open a store per
// test: about 400 s of a CI run went to it. So databases are copied from a
// migrated template (CREATE DATABASE … TEMPLATE, as MigratedSQLiteForTest
// copies a file for SQLite), and a database a test is done with is emptied
// and reused by the next test of the process rather than dropped: emptying
// deletes every row but the migrations' and restarts the sequences, which
// makes it the template again. It is reused only when that holds: nobody is
// connected to it and its schema (tables, columns, indexes, triggers,
// functions) and the migrations it records are the template's, so a test
// that altered a table, forgot a migration or left a connection behind gets
// its database dropped, never passed on. The template is built once per set of migrations and shared by test
// processes: it is named by a hash of the migrations, built under a
// temporary name and renamed, and nobody may connect to it (a connection to
// a template makes copying it fail). Tests of migrating itself use
// NewTestSchema instead.
func NewTestDatabase(ctx context.Context, dsn string) (dbURL string, done func() error, err error) {
	p, err := postgresPoolFor(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	name, err := p.take(ctx)
	if err != nil {
		return "", nil, err
	}
	return withDatabase(p.u, name), func() error { return p.give(name) }, nil
}

// testDatabasePool holds emptied databases of one server for reuse.
type testDatabasePool struct {
	u           *url.URL
	admin       *sql.DB
	template    string
	fingerprint string
	prefix      string // this process's databases: lk_test_<pid>_
	idle        chan string
}

var testDatabasePools struct {
	mu    sync.Mutex
	pools map[string]*testDatabasePool
}

// postgresPoolFor returns the pool of dsn's server, made once per process:
// it builds (or finds) the template and drops the pooled databases that
// processes which ended left behind.
func postgresPoolFor(ctx context.Context, dsn string) (*testDatabasePool, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	server := withDatabase(u, "")
	testDatabasePools.mu.Lock()
	defer testDatabasePools.mu.Unlock()
	if p, ok := testDatabasePools.pools[server]; ok {
		return p, nil
	}
	admin, err := sql.Open("pgx", dsn) // driver registered by pgx/v5/stdlib (open.go)
	if err != nil {
		return nil, err
	}
	admin.SetMaxIdleConns(4)
	template, err := buildPostgresTemplate(ctx, admin, u)
	if err != nil {
		admin.Close()
		return nil, fmt.Errorf("PostgreSQL test template: %w", err)
	}
	p := &testDatabasePool{u: u, admin: admin, template: template,
		prefix: fmt.Sprintf("lk_test_%d_", os.Getpid()), idle: make(chan string, 16)}
	// The template's schema, to compare a used database's with.
	name, err := p.create(ctx)
	if err == nil {
		p.fingerprint, err = p.schemaFingerprint(ctx, name)
		p.idle <- name
	}
	if err != nil {
		admin.Close()
		return nil, err
	}
	p.dropLeftovers(ctx)
	if testDatabasePools.pools == nil {
		testDatabasePools.pools = map[string]*testDatabasePool{}
	}
	testDatabasePools.pools[server] = p
	return p, nil
}

func (p *testDatabasePool) create(ctx context.Context) (string, error) {
	name := p.prefix + randomHex(6)
	_, err := p.admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+p.template)
	return name, err
}

func (p *testDatabasePool) take(ctx context.Context) (string, error) {
	select {
	case name := <-p.idle:
		return name, nil
	default:
		return p.create(ctx)
	}
}

// give empties name for the next test when it is reusable, else drops it,
// while the test goes on to its end (a database left by a process that
// ended meanwhile is dropped by the next one, dropLeftovers).
func (p *testDatabasePool) give(name string) error {
	go func() {
		ctx := context.Background()
		if err := p.empty(ctx, name); err == nil {
			select {
			case p.idle <- name:
				return
			default:
			}
		}
		_, _ = p.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	}()
	return nil
}

// empty makes name the template again, or says why it cannot.
func (p *testDatabasePool) empty(ctx context.Context, name string) error {
	// A closed connection's server process ends a moment after the client
	// hung up: wait up to a second for them to go.
	for i := 0; ; i++ {
		var others int
		if err := p.admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			break
		}
		if i == 100 {
			return fmt.Errorf("%d connections left to %s", others, name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	db, err := sql.Open("pgx", withDatabase(p.u, name))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if fp, err := p.schemaFingerprint(ctx, name, db); err != nil || fp != p.fingerprint {
		return fmt.Errorf("schema of %s changed: %v", name, err)
	}
	// One round trip: triggers (the change notifications, foreign keys) are
	// off for this session, so the order of the deletes does not matter.
	_, err = db.ExecContext(ctx, `DO $$
DECLARE r record;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' LOOP
    EXECUTE format('DELETE FROM %I', r.tablename);
  END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER SEQUENCE %I RESTART', r.sequencename);
  END LOOP;
END $$`)
	return err
}

// schemaFingerprint is a digest of the public schema's tables, columns,
// indexes, constraints, triggers, functions and sequences of database name,
// and of the migrations it records as applied (read through db when given).
func (p *testDatabasePool) schemaFingerprint(ctx context.Context, name string, db ...*sql.DB) (string, error) {
	var conn *sql.DB
	if len(db) > 0 {
		conn = db[0]
	} else {
		c, err := sql.Open("pgx", withDatabase(p.u, name))
		if err != nil {
			return "", err
		}
		defer c.Close()
		conn = c
	}
	var fp string
	err := conn.QueryRowContext(ctx, `SELECT md5(concat_ws('|',
  (SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(array_to_string(c.reloptions, ','), ''), ',' ORDER BY c.relname)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'),
  (SELECT string_agg(c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull
       || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ',' ORDER BY c.relname, a.attnum)
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY c.relname)
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'),
  (SELECT string_agg(conname || ':' || pg_get_constraintdef(co.oid), ',' ORDER BY conname)
     FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = 'public'),
  (SELECT string_agg(tgname || ':' || pg_get_triggerdef(t.oid) || ':' || t.tgenabled::text, ',' ORDER BY tgname)
     FROM pg_trigger t WHERE NOT t.tgisinternal),
  (SELECT string_agg(p.proname || ':' || md5(p.prosrc), ',' ORDER BY p.proname)
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'),
  (SELECT string_agg(extname || ':' || extversion, ',' ORDER BY extname) FROM pg_extension),
  (SELECT string_agg(version::text || ':' || name, ',' ORDER BY version) FROM schema_migrations)))`).Scan(&fp)
	return fp, err
}

// dropLeftovers drops the test databases of processes that are no longer
// running on this machine (the pool of a process that ended stays behind;
// the test server is scripts/postgres-test.sh's, on this machine), each only
// while nobody is connected to it.
func (p *testDatabasePool) dropLeftovers(ctx context.Context) {
	// Without /proc (macOS, BSD) no process looks alive: drop nothing, or
	// the idle databases of test processes running beside this one would go.
	if _, err := os.Stat("/proc/self"); err != nil {
		return
	}
	rows, err := p.admin.QueryContext(ctx, `SELECT datname FROM pg_database d WHERE datname LIKE 'lk\_test\_%\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		parts := strings.Split(n, "_") // lk, test, pid, random
		if len(parts) != 4 {
			continue
		}
		pid, err := strconv.Atoi(parts[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil || !errors.Is(err, fs.ErrNotExist) {
			continue // running, or this machine cannot tell
		}
		_, _ = p.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n+` WITH (FORCE)`)
	}
}

// buildPostgresTemplate returns the name of the template for this set of
// migrations, building it when no earlier process has.
func buildPostgresTemplate(ctx context.Context, admin *sql.DB, u *url.URL) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "lk_template_" + sum[:24]
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := "lk_template_build_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+build); err != nil {
		return "", err
	}
	s, err := Open(ctx, withDatabase(u, build), Options{})
	if err == nil {
		err = s.Close()
	}
	if err == nil {
		_, err = admin.ExecContext(ctx, `ALTER DATABASE `+build+` WITH ALLOW_CONNECTIONS false`)
	}
	if err == nil {
		_, err = admin.ExecContext(ctx, `ALTER DATABASE `+build+` RENAME TO `+name)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: another process built it first
			err = nil
		} else if err == nil {
			return name, nil
		}
	}
	if _, dropErr := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`); err == nil {
		err = dropErr
	}
	if err != nil {
		return "", err
	}
	return name, nil
}

// migrationsHash is the hex SHA-256 of every migration file's name and
// content: a changed migration gets a new template.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrationFiles, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// withDatabase returns u naming database name instead of its own.
func withDatabase(u *url.URL, name string) string {
	c := *u
	c.Path = "/" + strings.TrimPrefix(name, "/")
	return c.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
