package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// lockedBuffer collects log lines written from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestJanitorPurgesLoginRecordsByTheConfiguredRetention: the janitor the
// App wires (its own task list, one Pass at a time, no timer) deletes login
// records older than the system configuration's
// loginRecordConfiguration.delete.numberOfDaysToRetain, reading the
// configuration at every pass: with delete.enabled false (set through PATCH
// /api/system-configuration) a pass keeps an 800-day-old record and a
// 364-day-old one; enabled with 365 days, the next pass deletes only the old
// one and logs it (task=login_records rows=1); with 30 days, the next pass
// deletes the other. On either backend (sqlstorage.OpenTest: PostgreSQL
// when LATCHKEY_TEST_POSTGRES_DSN is set).
func TestJanitorPurgesLoginRecordsByTheConfiguredRetention(t *testing.T) {
	ctx := context.Background()
	st := sqlstorage.OpenTest(t)
	now := time.Now()
	userID := uuid.NewString()
	if err := st.CreateUser(ctx, storage.User{ID: userID, TenantID: manage.DefaultTenantID, Active: true,
		Email: "rhea@example.test", Verified: true, InsertInstant: now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	apiKey := rand.Text() + rand.Text()
	if err := st.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(apiKey),
		KeyManager: true, InsertInstant: now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", "unused-store-injected"
	a, err := Open(ctx, cfg, Options{Store: st, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })

	record := func(id string, daysAgo int) {
		at := now.AddDate(0, 0, -daysAgo).UnixMilli()
		if err := st.RecordLogin(ctx, storage.Login{UserID: userID, At: at, Record: &storage.LoginRecord{ID: id,
			UserID: userID, TenantID: manage.DefaultTenantID, Instant: at, IPAddress: "192.0.2.9", LoginID: "rhea@example.test"}}); err != nil {
			t.Fatal(err)
		}
	}
	kept := func(id string) bool {
		recs, _, err := st.ListLoginRecords(ctx, storage.LoginRecordFilter{UserID: userID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.ID == id {
				return true
			}
		}
		return false
	}
	retain := func(body string) {
		t.Helper()
		patchSystemConfiguration(t, a, apiKey, `{"systemConfiguration":{"loginRecordConfiguration":{"delete":`+body+`}}}`, http.StatusOK)
	}
	pass := func() int { t.Helper(); return janitorTask(t, a, "login_records") }

	record("old", 800)
	record("inside", 364)
	retain(`{"enabled":false,"numberOfDaysToRetain":30}`)
	if n := pass(); n != 0 || !kept("old") || !kept("inside") {
		t.Fatalf("delete.enabled false: purged %d, old kept %v, inside kept %v; want 0 and both kept", n, kept("old"), kept("inside"))
	}
	if strings.Contains(logs.String(), "task=login_records") {
		t.Fatalf("a pass that purged nothing logged it:\n%s", logs)
	}

	retain(`{"enabled":true,"numberOfDaysToRetain":365}`)
	if n := pass(); n != 1 || kept("old") || !kept("inside") {
		t.Fatalf("365 days: purged %d, old kept %v, inside kept %v; want 1, the old one gone", n, kept("old"), kept("inside"))
	}
	if !strings.Contains(logs.String(), `msg="janitor purged" component=janitor task=login_records rows=1`) {
		t.Fatalf("no janitor purged line for login_records:\n%s", logs)
	}

	retain(`{"enabled":true,"numberOfDaysToRetain":30}`)
	if n := pass(); n != 1 || kept("inside") {
		t.Fatalf("30 days: purged %d, inside kept %v; want 1, gone", n, kept("inside"))
	}
}
