package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/janitor"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

// rateCounterKeep: a rate counter is purged this long after its window
// started; the longest window (passwordless codes per user) is a minute.
const rateCounterKeep = time.Hour

// newJanitor wires the standard purges (internal/janitor) with the
// retention the configuration implies: a revoked session stays in the
// revocation feed for the longest token lifetime, a lockout counter for the
// longest failed-login window. Every node runs it; the lease makes one
// node at a time do the storage work. The DPoP replay cache is per node,
// so each node prunes its own. Issue 10's rows are purged too (expired
// challenges: twoFactorIds, WebAuthn challenges, emailed and passwordless
// codes, device trusts; idle rate counters), and TOTP secrets still sealed
// with an older key of the server secret are re-sealed (svc). Temporal
// user actions that expired get their user.action "end" event (m.Actions).
// Login records older than the system configuration's retention go
// (m.LoginRecords: the configuration is read at every pass, so a change
// through the API applies at the next one; delete.enabled false keeps all).
// The event log keeps its newest eventLogConfiguration.numberToRetain
// entries (m.EventLogs, read the same way). Children in no family with an
// adult member go deleteOrphanedAccountsDays after signing up in the
// tenants that ask for it, each with the events of a user's delete
// (m.Families, at most manage.MaxOrphansPerPass a pass).
func newJanitor(st storage.Storage, svc *auth.Service, m *manage.Service, now func() time.Time, interval time.Duration, log *slog.Logger) *janitor.Janitor {
	tasks := janitor.Tasks(st, janitor.Retention{
		TokenLifetime: func(ctx context.Context) (time.Duration, error) { return manage.LongestTokenLifetime(ctx, st) },
		LockoutWindow: func(ctx context.Context) (time.Duration, error) { return manage.LongestLockoutWindow(ctx, st) },
	})
	tasks = append(tasks,
		janitor.Task{Name: "challenges", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeChallenges(ctx, now, limit)
		}},
		janitor.Task{Name: "identity_provider_connection_tests", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeIdentityProviderConnectionTests(ctx, now.UnixMilli(), limit)
		}},
		janitor.Task{Name: "rate_counters", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeRateCounters(ctx, now.Add(-rateCounterKeep), limit)
		}},
		janitor.Task{Name: "user_action_ends", Purge: m.Actions.SendEnds},
		janitor.Task{Name: "login_records", Purge: m.LoginRecords.Purge},
		janitor.Task{Name: "event_log", Purge: m.EventLogs.Purge},
		janitor.Task{Name: "orphaned_children", Purge: m.Families.PurgeOrphans},
		janitor.Task{Name: "two_factor_reseal", Purge: func(ctx context.Context, _ time.Time, limit int) (int, error) {
			return svc.ResealTwoFactorSecrets(ctx, limit)
		}})
	return janitor.New(janitor.Config{
		Tasks: tasks,
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
