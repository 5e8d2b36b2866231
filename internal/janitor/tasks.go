package janitor

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Retention defaults.
const (
	// DefaultSentOutbox: sent outbox rows (mail, account jobs, webhook
	// deliveries; their bodies cleared when sent) are kept a week for
	// operators. Webhooks add a row per event, so without this the table
	// would only grow. Dead rows stay until an operator deals with them.
	DefaultSentOutbox = 7 * 24 * time.Hour
	// DefaultRetiredKeys: a retired signing key (private part included) is
	// deleted a day after its retirement; no node trusts it by then.
	DefaultRetiredKeys = 24 * time.Hour
	// feedMargin is added to the longest token lifetime before a revoked
	// session leaves the revocation feed: the feed's 30 s look-back, the
	// resource servers' leeway, the nodes' clock tolerance.
	feedMargin = 5 * time.Minute
	// DefaultCodes: an authorization code is kept a day after it expired,
	// so a replay within it is still recognised and revokes what the code
	// issued (RFC 6749 §4.1.2); after it, the code is unknown.
	DefaultCodes = 24 * time.Hour
	// minLockoutKeep: a lockout counter is kept at least a day after its
	// window started, whatever the tenants' windows are.
	minLockoutKeep = 24 * time.Hour
)

// Store is what the standard tasks delete from.
type Store interface {
	storage.JanitorStore
	PurgeSentOutbox(ctx context.Context, before time.Time) (int, error)
	// Authorization codes and the hosted page's login sessions (issue 11).
	PurgeAuthorizationCodes(ctx context.Context, before time.Time, limit int) (int, error)
	PurgeLoginSessions(ctx context.Context, before time.Time, limit int) (int, error)
}

// Retention says how long things are kept. The two functions are asked at
// every pass, so a changed configuration applies at the next one.
type Retention struct {
	// TokenLifetime is the longest lifetime an access token can have
	// (manage.LongestTokenLifetime): a revoked session stays in the
	// revocation feed that long (plus a margin), since one of its tokens
	// may be valid until then.
	TokenLifetime func(ctx context.Context) (time.Duration, error)
	// LockoutWindow is the longest failed-login window of the tenants
	// (manage.LongestLockoutWindow).
	LockoutWindow func(ctx context.Context) (time.Duration, error)
	SentOutbox    time.Duration // default DefaultSentOutbox
	RetiredKeys   time.Duration // default DefaultRetiredKeys
	Codes         time.Duration // default DefaultCodes
}

// Tasks are the standard purges over st. Rotation history has no task of
// its own: superseded values stay as long as their family, so reuse is
// detected for the family's whole life. A family is one row: auth's values
// name their family and need no history (refresh_value.go); only values of
// the earlier format have history rows, which go with their family.
func Tasks(st Store, r Retention) []Task {
	if r.SentOutbox <= 0 {
		r.SentOutbox = DefaultSentOutbox
	}
	if r.RetiredKeys <= 0 {
		r.RetiredKeys = DefaultRetiredKeys
	}
	if r.Codes <= 0 {
		r.Codes = DefaultCodes
	}
	feedKeep := func(ctx context.Context) (time.Duration, error) {
		d, err := r.TokenLifetime(ctx)
		return d + feedMargin, err
	}
	return []Task{
		{Name: "refresh_tokens", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			keep, err := feedKeep(ctx)
			if err != nil {
				return 0, err
			}
			return st.PurgeRefreshTokens(ctx, now, now.Add(-keep), limit)
		}},
		{Name: "oauth_codes", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeAuthorizationCodes(ctx, now.Add(-r.Codes), limit)
		}},
		// An expired login session goes once its refresh tokens were purged
		// (the store checks), so logout by its sid revokes them until then.
		{Name: "login_sessions", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeLoginSessions(ctx, now, limit)
		}},
		{Name: "session_tombstones", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			keep, err := feedKeep(ctx)
			if err != nil {
				return 0, err
			}
			return st.PurgeTombstones(ctx, now.Add(-keep), limit)
		}},
		{Name: "login_failures", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			w, err := r.LockoutWindow(ctx)
			if err != nil {
				return 0, err
			}
			return st.PurgeLoginFailures(ctx, now.Add(-max(w, minLockoutKeep)), now, limit)
		}},
		{Name: "signing_keys", Purge: func(ctx context.Context, now time.Time, limit int) (int, error) {
			return st.PurgeSigningKeys(ctx, now.Add(-r.RetiredKeys), limit)
		}},
		{Name: "sent_outbox", Purge: func(ctx context.Context, now time.Time, _ int) (int, error) {
			// PurgeSentOutbox has no limit of its own: it deletes everything
			// due at once (rows without bodies), and the next call nothing.
			return st.PurgeSentOutbox(ctx, now.Add(-r.SentOutbox))
		}},
	}
}
