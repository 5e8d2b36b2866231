package server

import (
	"encoding/base64"
	"net/http"
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
// (DefaultRequestTimeout, 15 s) after its timestamp, and another node's clock may
// be behind; 30 s covers the deadline plus 15 s of skew. Repeats are
// harmless: the feed is a set of session ids.
const revocationOverlap = 30 * time.Second

// defaultAccessTTL is FusionAuth's default access-token lifetime (1 hour):
// a first poll (no cursor) gets everything revoked within the longest
// lifetime an access token of the application may still have.
const defaultAccessTTL = time.Hour

type revocationView struct {
	SID       string `json:"sid"`
	UserID    string `json:"userId"`
	RevokedAt int64  `json:"revokedAt"`
}

// revocations handles GET /api/jwt/revocations?since=<cursor> (latchkey
// extension, docs/dpop.md): the application's refresh tokens (sessions, the
// sid claim) revoked since the cursor, for resource servers that refuse
// access tokens of ended sessions within seconds instead of at exp
// (workflow.md steps 16-17). The caller authenticates as the application
// (HTTP Basic client_id:client_secret) or with an API key plus
// ?applicationId=. Everything else is an empty 401.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	app, ok := s.feedApplication(w, r)
	if !ok {
		return
	}
	now := s.Now()
	since, afterID := now.Add(-accessLifetime(r, s, app)), ""
	if c := queryValue(r, "since"); c != "" {
		var ok bool
		if since, afterID, ok = parseCursor(c); !ok {
			writeFieldError(w, "invalid", "since", "The [since] parameter is not a cursor this server returned.")
			return
		}
	}
	ts, err := s.Store.ListRevocations(r.Context(), app.ID, since, afterID, revocationPage)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	out := make([]revocationView, 0, len(ts))
	for _, t := range ts {
		out = append(out, revocationView{SID: t.ID, UserID: t.UserID, RevokedAt: t.RevokedAt.UnixMilli()})
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
	// more: a full page, ask again at once with the cursor.
	writeJSON(w, http.StatusOK, map[string]any{"revocations": out, "cursor": formatCursor(next, nextID),
		"more": len(ts) == revocationPage})
}

// feedApplication is the application whose feed is read: the client that
// authenticated itself, or, for an API key (authClientOrAPIKey, authn.go),
// the ?applicationId= the key may see.
func (s *Server) feedApplication(w http.ResponseWriter, r *http.Request) (storage.Application, bool) {
	if app, ok := clientFromContext(r.Context()); ok {
		return app, true
	}
	k, _ := apiKeyFromContext(r.Context())
	appID := queryValue(r, "applicationId")
	if !validUUID(appID) {
		writeFieldError(w, "invalid", "applicationId", "With an API key, name the application: ?applicationId=.")
		return storage.Application{}, false
	}
	app, err := s.Store.GetApplication(r.Context(), appID)
	if isNotFound(err) || (err == nil && k.TenantID != "" && k.TenantID != app.TenantID) {
		writeEmpty(w, http.StatusUnauthorized)
		return storage.Application{}, false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return storage.Application{}, false
	}
	return app, true
}

// accessLifetime is the longest lifetime the application's access tokens
// can have: its own jwtConfiguration when enabled, its tenant's, at least
// FusionAuth's default.
func accessLifetime(r *http.Request, s *Server, app storage.Application) time.Duration {
	ttl := defaultAccessTTL
	if app.JWTConfiguration.Enabled {
		ttl = max(ttl, time.Duration(app.JWTConfiguration.TimeToLiveInSeconds)*time.Second)
	}
	if t, err := s.Store.GetTenant(r.Context(), app.TenantID); err == nil {
		ttl = max(ttl, time.Duration(t.JWTConfiguration.TimeToLiveInSeconds)*time.Second)
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
	if !ok || err != nil || ms < 0 || (id != "" && !validUUID(id)) {
		return time.Time{}, "", false
	}
	return time.UnixMilli(ms), id, true
}
