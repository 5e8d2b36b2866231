package multinode

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// waitFor polls path on nd until pred holds for its answer, or fails after
// recoverTimeout. Readiness reuses a result for a second and spaces write
// probes, so a change shows within seconds, not at once.
func waitFor(t *testing.T, nd *node, path, what string, pred func(response) bool) response {
	t.Helper()
	deadline := time.Now().Add(recoverTimeout)
	for {
		r := nd.do(t, "GET", path, nil)
		if pred(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never became %s; last %d %s", nd.name, path, what, r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func checkIs(name, want string) func(response) bool {
	return func(r response) bool {
		c, _ := r.object()["checks"].(map[string]any)
		return c[name] == want
	}
}

// TestReadinessDuringOutage: while the node's PostgreSQL is stopped,
// /readyz is 503 naming the database, /api/health and /api/status are 503,
// and /livez stays 200 (a restart would not bring the database back). A
// probe storm during the outage is logged as a count, not a line per
// probe. When the database returns, readiness returns by itself.
func TestReadinessDuringOutage(t *testing.T) {
	requirePostgres(t)
	pg := startPrivatePostgres(t)
	ks, _ := writeKickstart(t)
	nd := launch(t, "nodeA", pg.url(), ks)
	nd.waitReady(t)
	if r := nd.do(t, "GET", "/readyz", nil); r.status != 200 || !checkIs("writes", "ok")(r) {
		t.Fatalf("/readyz before the outage: %d %s", r.status, r.body)
	}

	pg.stop(t)
	waitFor(t, nd, "/readyz", "503 database unreachable", func(r response) bool {
		return r.status == 503 && checkIs("database", "unreachable")(r)
	})
	for range 20 { // a load balancer probing through the outage
		if r := nd.do(t, "GET", "/livez", nil); r.status != 200 {
			t.Fatalf("/livez during the outage: %d %s", r.status, r.body)
		}
		for _, p := range []string{"/readyz", "/api/health", "/api/status"} {
			if r := nd.do(t, "GET", p, nil); r.status != 503 {
				t.Fatalf("%s during the outage: %d %s", p, r.status, r.body)
			}
		}
		time.Sleep(60 * time.Millisecond)
	}
	if n := strings.Count(nd.errs.String(), "not ready"); n < 1 || n > 3 {
		t.Errorf("%d \"not ready\" log lines for ~60 failed probes, want 1 to 3 (a count, not a line each):\n%s", n, tail(nd.errs.String(), 2000))
	}

	pg.start(t)
	waitFor(t, nd, "/readyz", "200", func(r response) bool { return r.status == 200 })
}

// TestReadinessWhenPostgresRefusesWrites: a PostgreSQL that answers reads
// but refuses writes (here default_transaction_read_only, as on a standby
// or an operator's emergency switch; a full disk fails the same probe) makes
// the node not ready with "writes refused", while the database check is ok.
func TestReadinessWhenPostgresRefusesWrites(t *testing.T) {
	requirePostgres(t)
	pg := startPrivatePostgres(t)
	ks, _ := writeKickstart(t)
	nd := launch(t, "nodeA", pg.url(), ks)
	nd.waitReady(t)

	db, err := sql.Open("pgx", pg.url())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	// The setting applies to new sessions: end the node's.
	endSessions := func() {
		t.Helper()
		if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
	}
	readOnly := func(on bool) {
		t.Helper()
		v := "off"
		if on {
			v = "on"
		}
		var name string
		if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `ALTER DATABASE "`+name+`" SET default_transaction_read_only = `+v); err != nil {
			t.Fatal(err)
		}
		endSessions()
	}
	readOnly(true)
	r := waitFor(t, nd, "/readyz", "503 writes refused", func(r response) bool {
		if r.status == 503 && checkIs("writes", "refused")(r) {
			return true
		}
		// A session the node was opening while the setting changed read the
		// old value and was not yet listed when the others were ended (seen
		// once under load: /readyz stayed "writes ok"); end it too.
		endSessions()
		return false
	})
	if !checkIs("database", "ok")(r) {
		t.Errorf("database check while reads work: %s", r.body)
	}
	if r := nd.do(t, "GET", "/livez", nil); r.status != 200 {
		t.Fatalf("/livez: %d", r.status)
	}
	readOnly(false)
	waitFor(t, nd, "/readyz", "200", func(r response) bool { return r.status == 200 })
}
