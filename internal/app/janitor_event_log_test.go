package app

import (
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestJanitorKeepsTheEventLogToItsConfiguredSize: the janitor the App
// wires (its own task list, one Pass at a time, no timer) keeps the newest
// systemConfiguration.eventLogConfiguration.numberToRetain entries, reading
// the configuration at every pass: with the default (10,000) a pass keeps
// all five entries; set to 3 through PATCH /api/system-configuration, the
// next pass deletes the two oldest; a numberToRetain of 0 is refused with
// 400 and the next pass deletes nothing; set to 1, only the newest stays.
// On either backend (sqlstorage.OpenTest).
func TestJanitorKeepsTheEventLogToItsConfiguredSize(t *testing.T) {
	ctx := context.Background()
	st := sqlstorage.OpenTest(t)
	now := time.Now()
	apiKey := rand.Text() + rand.Text()
	if err := st.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(apiKey),
		KeyManager: true, InsertInstant: now.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL = "127.0.0.1:0", "unused-store-injected"
	a, err := Open(ctx, cfg, Options{Store: st, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })

	var ids []int64
	for i := range 5 {
		e, err := st.CreateEventLog(ctx, storage.EventLog{InsertInstant: now.UnixMilli() + int64(i), Type: storage.EventLogError, Message: "entry"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	left := func() []int64 {
		t.Helper()
		es, _, err := st.SearchEventLogs(ctx, storage.EventLogFilter{OrderBy: "id", Asc: true})
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	retain := func(n string, want int) {
		t.Helper()
		patchSystemConfiguration(t, a, apiKey, `{"systemConfiguration":{"eventLogConfiguration":{"numberToRetain":`+n+`}}}`, want)
	}
	pass := func() int { t.Helper(); return janitorTask(t, a, "event_log") }
	same := slices.Equal[[]int64]

	if n := pass(); n != 0 || !same(left(), ids) {
		t.Fatalf("default retention: purged %d, left %v; want 0 and all", n, left())
	}
	retain("3", 200)
	if n := pass(); n != 2 || !same(left(), ids[2:]) {
		t.Fatalf("3 kept: purged %d, left %v; want 2, %v", n, left(), ids[2:])
	}
	retain("0", 400)
	if n := pass(); n != 0 || !same(left(), ids[2:]) {
		t.Fatalf("after the refused 0: purged %d, left %v", n, left())
	}
	retain("1", 200)
	if n := pass(); n != 2 || !same(left(), ids[4:]) {
		t.Fatalf("1 kept: purged %d, left %v; want 2, %v", n, left(), ids[4:])
	}
}
