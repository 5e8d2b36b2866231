package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

type revocationView struct {
	SID       string `json:"sid"`
	UserID    string `json:"userId"`
	RevokedAt int64  `json:"revokedAt"`
}

// revocations handles GET /api/jwt/revocations?since=<cursor> (latchkey
// extension, docs/dpop.md; manage.Revocations). The caller authenticates as
// the application (HTTP Basic client_id:client_secret) or with an API key
// plus ?applicationId= (authClientOrAPIKey); anything else is an empty 401.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	app, ok := s.feedApplication(w, r)
	if !ok {
		return
	}
	p, err := s.Manage.Revocations.Page(r.Context(), app, queryValue(r, "since"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]revocationView, 0, len(p.Revoked))
	for _, t := range p.Revoked {
		out = append(out, revocationView{SID: t.ID, UserID: t.UserID, RevokedAt: t.RevokedAt.UnixMilli()})
	}
	// more: a full page, ask again at once with the cursor.
	writeJSON(w, http.StatusOK, map[string]any{"revocations": out, "cursor": p.Cursor, "more": p.More})
}

// feedApplication is the application whose feed is read: the client that
// authenticated itself, or, for an API key, the ?applicationId= the key may
// see.
func (s *Server) feedApplication(w http.ResponseWriter, r *http.Request) (storage.Application, bool) {
	if app, ok := clientFromContext(r.Context()); ok {
		return app, true
	}
	appID := queryValue(r, "applicationId")
	if !validUUID(appID) {
		writeFieldError(w, "invalid", "applicationId", "With an API key, name the application: ?applicationId=.")
		return storage.Application{}, false
	}
	app, err := s.Store.GetApplication(r.Context(), appID)
	if isNotFound(err) || (err == nil && !inTenant(r, app.TenantID)) {
		writeEmpty(w, http.StatusUnauthorized)
		return storage.Application{}, false
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return storage.Application{}, false
	}
	return app, true
}
