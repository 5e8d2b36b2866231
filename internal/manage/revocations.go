package manage

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// revocationPage bounds one answer of the feed; a poller that gets a full
// page asks again at once with the returned cursor.
const revocationPage = 500

// revocationOverlap: once a poller has caught up, its next cursor starts this
// far back, so a revocation that commits after later ones were already read
// is still delivered. revoked_at is taken before the revoking transaction
// waits for the write lock: a commit can land up to the request deadline
// (server.DefaultRequestTimeout, 15 s) after its timestamp, and another node's
// clock may be behind; 30 s covers the deadline plus 15 s of skew. Repeats are
// harmless: the feed is a set of session ids (docs/decisions.md "Revocation
// feed cursor").
const revocationOverlap = 30 * time.Second

// defaultAccessTTL is FusionAuth's default access-token lifetime (1 hour):
// a first poll (no cursor) gets everything revoked within the longest
// lifetime an access token of the application may still have.
const defaultAccessTTL = time.Hour

// RevocationsStore is what Revocations uses.
type RevocationsStore interface {
	tenantReader
	ListRevocations(ctx context.Context, appID string, since time.Time, afterID string, limit int) ([]storage.RefreshToken, error)
}

// Revocations is the revocation feed resource servers poll (latchkey
// extension, docs/dpop.md): an application's sessions (refresh tokens, the
// sid claim) revoked since a cursor, so that access tokens of ended sessions
// are refused within seconds instead of at exp (workflow.md steps 16-17).
type Revocations struct {
	Store RevocationsStore
	Now   func() time.Time
}

// RevocationPage is one answer of the feed: the sessions, the cursor to ask
// with next, and whether more are waiting (a full page: ask again at once).
type RevocationPage struct {
	Revoked []storage.RefreshToken
	Cursor  string
	More    bool
}

// Page returns app's sessions revoked after cursor ("" for a first poll).
// A cursor this server did not return is [invalid]since.
func (rv *Revocations) Page(ctx context.Context, app storage.Application, cursor string) (RevocationPage, error) {
	now := rv.Now()
	since, afterID := now.Add(-rv.accessLifetime(ctx, app)), ""
	if cursor != "" {
		var ok bool
		if since, afterID, ok = parseCursor(cursor); !ok {
			return RevocationPage{}, invalid("invalid", "since", "The [since] parameter is not a cursor this server returned.")
		}
	}
	ts, err := rv.Store.ListRevocations(ctx, app.ID, since, afterID, revocationPage)
	if err != nil {
		return RevocationPage{}, err
	}
	next, nextID := since, afterID
	if n := len(ts); n > 0 {
		next, nextID = ts[n-1].RevokedAt, ts[n-1].ID
	}
	if len(ts) < revocationPage {
		// Caught up: re-read the last moments next time (revocationOverlap).
		if back := now.Add(-revocationOverlap); back.Before(next) {
			next, nextID = back, ""
		}
	}
	return RevocationPage{Revoked: ts, Cursor: formatCursor(next, nextID), More: len(ts) == revocationPage}, nil
}

// accessLifetime is the longest lifetime the application's access tokens
// can have: its own jwtConfiguration when enabled, its tenant's, at least
// FusionAuth's default.
func (rv *Revocations) accessLifetime(ctx context.Context, app storage.Application) time.Duration {
	ttl := defaultAccessTTL
	if app.JWTConfiguration.Enabled {
		ttl = max(ttl, storage.Lifetime(app.JWTConfiguration.TimeToLiveInSeconds, time.Second))
	}
	if t, err := rv.Store.GetTenant(ctx, app.TenantID); err == nil {
		ttl = max(ttl, storage.Lifetime(t.JWTConfiguration.TimeToLiveInSeconds, time.Second))
	}
	return ttl
}

// The cursor is opaque to clients (base64url of "ms:id") so its shape can
// change; a keyset position, not an offset.
func formatCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + ":" + id))
}

func parseCursor(c string) (time.Time, string, bool) {
	if len(c) > 200 {
		return time.Time{}, "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	msText, id, ok := strings.Cut(string(b), ":")
	ms, err := strconv.ParseInt(msText, 10, 64)
	if !ok || err != nil || ms < 0 || (id != "" && !ValidID(id)) {
		return time.Time{}, "", false
	}
	// One spelling per position: "+5", "05" or upper-case padding bits
	// would name the same position under another cursor.
	if formatCursor(time.UnixMilli(ms), id) != c {
		return time.Time{}, "", false
	}
	return time.UnixMilli(ms), id, true
}
