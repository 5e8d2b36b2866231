package kickstart_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// A failed Kickstart must leave the database untouched
// (dry run first), and nodes sharing a database must not serve before the
// Kickstart is done, nor wait forever for a node that died.

const seedAppID = "5b3f0c1e-2d4a-4b6c-8e9f-0a1b2c3d4e5f"

const seedApp = `{"method":"POST","url":"/api/application/` + seedAppID + `","body":{"application":{"name":"seeded"}}}`

func kickstartFile(requests ...string) string {
	return `{"apiKeys":[{"key":"` + key + `"}],"requests":[` + strings.Join(requests, ",") + `]}`
}

func seedUser(pw string) string {
	return `{"method":"POST","url":"/api/user/registration","body":{"user":{"email":"ada@example.com","password":"` + pw +
		`"},"registration":{"applicationId":"` + seedAppID + `"}}}`
}

// assertUntouched fails unless store holds nothing a Kickstart writes: no
// API key, application or user, and no claim.
func assertUntouched(t *testing.T, store storage.Storage) {
	t.Helper()
	ctx := context.Background()
	if n, err := store.CountAPIKeys(ctx); err != nil || n != 0 {
		t.Errorf("API keys = %d, %v; want none", n, err)
	}
	if apps, err := store.ListApplications(ctx, false); err != nil || len(apps) != 0 {
		t.Errorf("applications = %v, %v; want none", apps, err)
	}
	if _, err := store.FindUser(ctx, storage.UserFilter{TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", Email: "ada@example.com"}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("kickstart user stored: %v", err)
	}
	if done, err := store.KickstartDone(ctx); err != nil || done {
		t.Errorf("KickstartDone = %v, %v; want false", done, err)
	}
	now := time.Now()
	if ok, err := store.ClaimKickstart(ctx, "probe", now, now.Add(-time.Hour)); err != nil || !ok {
		t.Errorf("claim still held after a failed start: %v %v", ok, err)
	}
	if err := store.ReleaseKickstart(ctx, "probe"); err != nil {
		t.Error(err)
	}
}

func open(t *testing.T, store storage.Storage, path string, o app.Options) (*app.App, error) {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Kickstart = path
	o.Store = store
	a, err := app.Open(context.Background(), cfg, o)
	if err == nil {
		t.Cleanup(func() { a.Close() })
	}
	return a, err
}

func TestKickstartFailureLeavesDatabaseUntouchedAndFixedFileSeedsOnce(t *testing.T) {
	store := sqlstorage.OpenTest(t)
	bad := []struct {
		name  string
		file  string
		wants []string
	}{
		{"bad password after a good request", kickstartFile(seedApp, seedUser("short")),
			[]string{"request 2", "POST /api/user/registration", "status 400", "[tooShort]user.password", "dry run"}},
		{"duplicate id in the file", kickstartFile(seedApp, seedApp),
			[]string{"request 2", "status 400", "[duplicate]application.id"}},
		{"bad JSON body value", kickstartFile(seedApp, `{"method":"POST","url":"/api/application","body":{"application":{"name":7}}}`),
			[]string{"request 2", "status 400"}},
		// The dry run hashes cheaply (password.HashCheap) but refuses what
		// the real hash would.
		{"factor out of range", kickstartFile(seedApp, `{"method":"POST","url":"/api/user/registration","body":{"user":{"email":"ada@example.com",`+
			`"password":"correct horse","encryptionScheme":"bcrypt","factor":99},"registration":{"applicationId":"`+seedAppID+`"}}}`),
			[]string{"request 2", "status 400", "[invalid]user.factor", "dry run"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := open(t, store, writeFiles(t, map[string]string{"kickstart.json": tt.file}), app.Options{})
			if err == nil {
				t.Fatal("start succeeded")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			assertUntouched(t, store)
		})
	}
	fixed := writeFiles(t, map[string]string{"kickstart.json": kickstartFile(seedApp, seedUser("correct horse"))})
	for i := range 2 {
		if _, err := open(t, store, fixed, app.Options{}); err != nil {
			t.Fatalf("start %d with the fixed file: %v", i+1, err)
		}
	}
	assertSeededOnce(t, store)
	// The real run hashed at the tenant's cost, not the dry run's.
	u, err := store.FindUser(context.Background(), storage.UserFilter{TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", Email: "ada@example.com"})
	if err != nil || u.Password.Factor != 24000 {
		t.Fatalf("seeded user's password hashed at factor %d (%v), want the default 24000", u.Password.Factor, err)
	}
}

func assertSeededOnce(t *testing.T, store storage.Storage) {
	t.Helper()
	ctx := context.Background()
	if apps, err := store.ListApplications(ctx, false); err != nil || len(apps) != 1 || apps[0].ID != seedAppID {
		t.Fatalf("applications = %+v, %v; want the seeded one once", apps, err)
	}
	if _, err := store.FindUser(ctx, storage.UserFilter{TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", Email: "ada@example.com"}); err != nil {
		t.Fatalf("seeded user: %v", err)
	}
	if n, err := store.CountAPIKeys(ctx); err != nil || n != 1 {
		t.Fatalf("API keys = %d, %v; want 1", n, err)
	}
	if done, err := store.KickstartDone(ctx); err != nil || !done {
		t.Fatalf("KickstartDone = %v, %v", done, err)
	}
}

// Several nodes open one SQLite file at once: each Open returns only when
// the seed is complete, and it is applied once.
func TestKickstartConcurrentNodesSeedOnceAndWait(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	path := writeFiles(t, map[string]string{"kickstart.json": kickstartFile(seedApp, seedUser("correct horse"))})
	const nodes = 4
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			cfg := config.Default()
			cfg.Addr, cfg.DatabaseURL, cfg.Kickstart = "127.0.0.1:0", db, path
			a, err := app.Open(context.Background(), cfg, app.Options{})
			if err == nil {
				defer a.Close()
				// What this node serves right after Open: the full seed.
				ctx := context.Background()
				if _, err = a.Store().GetApplication(ctx, seedAppID); err == nil {
					_, err = a.Store().FindUser(ctx, storage.UserFilter{TenantID: "b54ca84b-aceb-4215-9678-473afdeaabed", Email: "ada@example.com"})
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	store, err := sqlstorage.Open(context.Background(), db, sqlstorage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	assertSeededOnce(t, store)
}

// pollCounter counts KickstartDone calls so a test knows a node is waiting.
type pollCounter struct {
	storage.Storage
	polls atomic.Int32
}

func (p *pollCounter) KickstartDone(ctx context.Context) (bool, error) {
	p.polls.Add(1)
	return p.Storage.KickstartDone(ctx)
}

func TestKickstartClaimHeldByAnotherNode(t *testing.T) {
	path := writeFiles(t, map[string]string{"kickstart.json": kickstartFile(seedApp)})
	ctx := context.Background()
	now := time.Now()
	t.Run("waits until the holder is done, then serves without applying", func(t *testing.T) {
		store := &pollCounter{Storage: sqlstorage.OpenTest(t)}
		if ok, err := store.ClaimKickstart(ctx, "other-node", now, now.Add(-time.Hour)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		result := make(chan error, 1)
		go func() {
			_, err := open(t, store, path, app.Options{KickstartWait: time.Minute})
			result <- err
		}()
		for store.polls.Load() < 3 { // 1 before the dry run, then polls
			select {
			case err := <-result:
				t.Fatalf("Open returned while another node held the claim: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
		if err := store.CompleteKickstart(ctx, "other-node", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := <-result; err != nil {
			t.Fatalf("Open after the other node finished: %v", err)
		}
		if apps, _ := store.ListApplications(ctx, false); len(apps) != 0 {
			t.Fatalf("the waiting node applied the Kickstart too: %v", apps)
		}
	})
	t.Run("gives up after the wait bound without writing", func(t *testing.T) {
		store := sqlstorage.OpenTest(t)
		if ok, err := store.ClaimKickstart(ctx, "other-node", now, now.Add(-time.Hour)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		_, err := open(t, store, path, app.Options{KickstartWait: 300 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "another node has been applying") {
			t.Fatalf("Open = %v; want the wait refused", err)
		}
		if apps, _ := store.ListApplications(ctx, false); len(apps) != 0 {
			t.Fatalf("applications written: %v", apps)
		}
	})
	t.Run("takes over the stale claim of a node that died", func(t *testing.T) {
		store := sqlstorage.OpenTest(t)
		died := now.Add(-10 * time.Minute)
		if ok, err := store.ClaimKickstart(ctx, "dead-node", died, died.Add(-time.Hour)); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, err := open(t, store, path, app.Options{KickstartStaleAfter: time.Minute}); err != nil {
			t.Fatalf("Open with a stale claim: %v", err)
		}
		if _, err := store.GetApplication(ctx, seedAppID); err != nil {
			t.Fatalf("not seeded after the takeover: %v", err)
		}
		if err := store.CompleteKickstart(ctx, "dead-node", time.Now()); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("the dead node could still complete: %v", err)
		}
	})
}
