package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/janitor"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

// newJanitor wires the standard purges (internal/janitor) with the
// retention the configuration implies: a revoked session stays in the
// revocation feed for the longest token lifetime, a lockout counter for the
// longest failed-login window. Every node runs it; the lease makes one
// node at a time do the storage work. The DPoP replay cache is per node,
// so each node prunes its own.
func newJanitor(st storage.Storage, now func() time.Time, interval time.Duration, log *slog.Logger) *janitor.Janitor {
	return janitor.New(janitor.Config{
		Tasks: janitor.Tasks(st, janitor.Retention{
			TokenLifetime: func(ctx context.Context) (time.Duration, error) { return manage.LongestTokenLifetime(ctx, st) },
			LockoutWindow: func(ctx context.Context) (time.Duration, error) { return manage.LongestLockoutWindow(ctx, st) },
		}),
		Local: []janitor.Task{{Name: "dpop_replay", Purge: func(_ context.Context, now time.Time, _ int) (int, error) {
			dpop.Default.Prune(now)
			return 0, nil
		}}},
		ClaimLease: st.ClaimLease,
		Now:        now,
		Interval:   interval,
		Logger:     log.With("component", "janitor"),
	})
}
