package storagetest

import (
	"context"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testEventLog: entries get growing ids, round-trip, and are found by a
// case-insensitive message pattern, type and an inclusive instant range,
// newest first unless Asc, ordered by another column on request (ties by
// id), paged with a total; an unknown id is ErrNotFound.
func testEventLog(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	at := base.UnixMilli()
	var ids []int64
	for _, e := range []storage.EventLog{
		{InsertInstant: at, Type: storage.EventLogError, Message: "smtp refused ada@example.com: 550 no such user"},
		{InsertInstant: at + 1, Type: storage.EventLogInformation, Message: "lambda console: hello 100%"},
		{InsertInstant: at + 1, Type: storage.EventLogError, Message: "webhook answered 500"},
		{InsertInstant: at + 2, Type: storage.EventLogDebug, Message: "debug line"},
	} {
		got, err := s.CreateEventLog(ctx, e)
		must(t, err)
		if len(ids) > 0 && got.ID <= ids[len(ids)-1] {
			t.Fatalf("id %d after %d: ids must grow in insert order", got.ID, ids[len(ids)-1])
		}
		e.ID = got.ID
		if got != e {
			t.Fatalf("create: %+v, want %+v", got, e)
		}
		ids = append(ids, got.ID)
	}
	got, err := s.GetEventLog(ctx, ids[1])
	must(t, err)
	if want := (storage.EventLog{ID: ids[1], InsertInstant: at + 1, Type: storage.EventLogInformation, Message: "lambda console: hello 100%"}); got != want {
		t.Fatalf("get: %+v, want %+v", got, want)
	}
	_, err = s.GetEventLog(ctx, ids[3]+1000)
	wantErr(t, err, storage.ErrNotFound)

	for _, c := range []struct {
		f     storage.EventLogFilter
		want  []int64
		total int
	}{
		{storage.EventLogFilter{}, []int64{ids[3], ids[2], ids[1], ids[0]}, 4},
		{storage.EventLogFilter{Asc: true}, []int64{ids[0], ids[1], ids[2], ids[3]}, 4},
		{storage.EventLogFilter{Type: storage.EventLogError}, []int64{ids[2], ids[0]}, 2},
		{storage.EventLogFilter{Message: "WEBHOOK"}, []int64{ids[2]}, 1},
		{storage.EventLogFilter{Message: "web\x00hook"}, []int64{ids[2]}, 1}, // a NUL is no error (PostgreSQL refuses it in text)
		{storage.EventLogFilter{Message: "100%"}, []int64{ids[1]}, 1},
		{storage.EventLogFilter{Message: "*user"}, []int64{ids[0]}, 1},
		{storage.EventLogFilter{Start: at + 1, End: at + 1}, []int64{ids[2], ids[1]}, 2},
		{storage.EventLogFilter{Start: at + 2}, []int64{ids[3]}, 1},
		{storage.EventLogFilter{End: at}, []int64{ids[0]}, 1},
		{storage.EventLogFilter{OrderBy: "message", Asc: true}, []int64{ids[3], ids[1], ids[0], ids[2]}, 4}, // debug, lambda, smtp, webhook
		{storage.EventLogFilter{OrderBy: "type"}, []int64{ids[1], ids[2], ids[0], ids[3]}, 4},
		{storage.EventLogFilter{Offset: 1, Limit: 2}, []int64{ids[2], ids[1]}, 4},
		{storage.EventLogFilter{Offset: 3}, []int64{ids[0]}, 4},
		{storage.EventLogFilter{Type: storage.EventLogError, Message: "debug"}, []int64{}, 0},
	} {
		es, total, err := s.SearchEventLogs(ctx, c.f)
		must(t, err)
		got := []int64{}
		for _, e := range es {
			got = append(got, e.ID)
		}
		if total != c.total || !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v (total %d), want %v (total %d)", c.f, got, total, c.want, c.total)
		}
	}
}

// testPurgeEventLogs: a purge keeps the newest keep entries by id (insert
// order, whatever their instants), deletes at most limit of the older ones
// per call, oldest first, and deletes nothing once keep or fewer are left.
func testPurgeEventLogs(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		// Instants fall as ids grow: the purge goes by insert order.
		e, err := s.CreateEventLog(ctx, storage.EventLog{InsertInstant: base.UnixMilli() - int64(i), Type: storage.EventLogError, Message: "m"})
		must(t, err)
		ids = append(ids, e.ID)
	}
	left := func() []int64 {
		es, _, err := s.SearchEventLogs(ctx, storage.EventLogFilter{OrderBy: "id", Asc: true})
		must(t, err)
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for _, step := range []struct {
		keep, limit, n int
		left           []int64
	}{
		{keep: 2, limit: 2, n: 2, left: ids[2:]},
		{keep: 2, limit: 10, n: 1, left: ids[3:]},
		{keep: 2, limit: 10, n: 0, left: ids[3:]},
		{keep: 5, limit: 10, n: 0, left: ids[3:]},
		{keep: 1, limit: 10, n: 1, left: ids[4:]},
	} {
		n, err := s.PurgeEventLogs(ctx, step.keep, step.limit)
		must(t, err)
		if got := left(); n != step.n || !slices.Equal(got, step.left) {
			t.Fatalf("keep %d limit %d: purged %d, left %v; want %d, %v", step.keep, step.limit, n, got, step.n, step.left)
		}
	}
}
