package storagetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testEventCounts: two flushes into the same (hour, kind) add up; other
// hours and kinds are kept apart; zero counts make no row; the range is
// [from, to).
func testEventCounts(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	h := base.Truncate(time.Hour)
	must(t, s.AddEventCounts(ctx, []storage.HourlyCount{
		{Hour: h, Kind: "login", Count: 3}, {Hour: h, Kind: "failure", Count: 1}, {Hour: h, Kind: "reuse", Count: 0}}))
	// A count stamped inside the hour lands on its start.
	must(t, s.AddEventCounts(ctx, []storage.HourlyCount{
		{Hour: h.Add(59 * time.Minute), Kind: "login", Count: 4}, {Hour: h.Add(time.Hour), Kind: "login", Count: 2}}))
	got, err := s.ListEventCounts(ctx, h, h.Add(2*time.Hour))
	must(t, err)
	wantEqual(t, "counts", got, []storage.HourlyCount{
		{Hour: h, Kind: "failure", Count: 1}, {Hour: h, Kind: "login", Count: 7}, {Hour: h.Add(time.Hour), Kind: "login", Count: 2}})
	got, err = s.ListEventCounts(ctx, h.Add(time.Hour), h.Add(2*time.Hour))
	must(t, err)
	wantEqual(t, "the second hour only", got, []storage.HourlyCount{{Hour: h.Add(time.Hour), Kind: "login", Count: 2}})
}

// EventCountsTwoNodes: a and b are two stores on one database (two nodes).
// Many concurrent flushes from both add up to the exact sum.
func EventCountsTwoNodes(t *testing.T, a, b storage.Storage) {
	ctx := context.Background()
	h := base.Truncate(time.Hour)
	const flushes = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*flushes)
	for _, st := range []storage.Storage{a, b} {
		for i := range flushes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.AddEventCounts(ctx, []storage.HourlyCount{
					{Hour: h, Kind: "refresh", Count: int64(i + 1)}, {Hour: h, Kind: "lockout", Count: 1}})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := b.ListEventCounts(ctx, h, h.Add(time.Hour))
	must(t, err)
	wantEqual(t, "summed counts", got, []storage.HourlyCount{
		{Hour: h, Kind: "lockout", Count: 2 * flushes}, {Hour: h, Kind: "refresh", Count: 2 * flushes * (flushes + 1) / 2}})
}
