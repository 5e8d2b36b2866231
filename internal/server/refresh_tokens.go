package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// refreshTokenView is FusionAuth's RefreshToken object (fusionauth-api.md
// §2.3). Its secret `token` member is never present: latchkey stores only a
// hash of the secret, so the value cannot be returned (docs/api.md).
type refreshTokenView struct {
	ID            string `json:"id"`
	ApplicationID string `json:"applicationId"`
	UserID        string `json:"userId"`
	InsertInstant int64  `json:"insertInstant"`
	StartInstant  int64  `json:"startInstant"`
	MetaData      struct {
		Device storage.DeviceInfo `json:"device"`
		Scopes []string           `json:"scopes,omitempty"`
	} `json:"metaData"`
}

func viewRefreshToken(t storage.RefreshToken) refreshTokenView {
	v := refreshTokenView{ID: t.ID, ApplicationID: t.ApplicationID, UserID: t.UserID,
		InsertInstant: t.InsertedAt.UnixMilli(), StartInstant: t.StartInstant.UnixMilli()}
	v.MetaData.Device, v.MetaData.Scopes = t.Device, t.Scopes
	return v
}

// listRefreshTokens handles GET /api/jwt/refresh?userId= (API key): the
// user's live tokens, never 404.
func (s *Server) listRefreshTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.RefreshTokens.List(r.Context(), scope(r), queryValue(r, "userId"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []refreshTokenView{}
	for _, t := range ts {
		out = append(out, viewRefreshToken(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"refreshTokens": out})
}

// getRefreshToken handles GET /api/jwt/refresh/{id} (API key): 404 when the
// token is unknown, revoked or expired, 400 [couldNotConvert]tokenId when
// the id is not a UUID.
func (s *Server) getRefreshToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tokenId")
	if !ok {
		return
	}
	t, err := s.Manage.RefreshTokens.Get(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"refreshToken": viewRefreshToken(t)})
}

// revokeRequest is FusionAuth's RefreshTokenRevokeRequest (JSON form).
type revokeRequest struct {
	ApplicationID string `json:"applicationId"`
	Token         string `json:"token"`
	UserID        string `json:"userId"`
}

// revokeRefreshTokens handles every DELETE /api/jwt/refresh form
// (fusionauth-api.md §2.4): /{id}, ?token=, ?userId=, ?applicationId=,
// userId+applicationId, the same as a JSON body, and token= as a form body.
// 200 with no body; 404 when a named token (by id or value) is not live
// (manage.RefreshTokens.Revoke); 400 [couldNotConvert]<field> for a
// tokenId, userId or applicationId that is not a UUID.
func (s *Server) revokeRefreshTokens(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "tokenId")
	if !ok {
		return
	}
	req := revokeRequest{ApplicationID: queryValue(r, "applicationId"), Token: queryValue(r, "token"), UserID: queryValue(r, "userId")}
	ct := r.Header.Get("Content-Type")
	switch {
	case isJSON(ct):
		if !s.decodeJSON(w, r, &req, true) {
			return
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		form, ok := s.tokenFormFusion(w, r)
		if !ok {
			return
		}
		if v := formValue(form, "token"); v != "" {
			req.Token = v
		}
	}
	err := s.Manage.RefreshTokens.Revoke(r.Context(), scope(r), manage.Revocation{ID: id, Token: req.Token,
		UserID: req.UserID, ApplicationID: req.ApplicationID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// tokenFormFusion reads a form body for the /api/* endpoints, answering
// decode failures in FusionAuth's error format.
func (s *Server) tokenFormFusion(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	body, err := readBody(r)
	if err == nil {
		var form url.Values
		if form, err = url.ParseQuery(string(body)); err == nil {
			return form, true
		}
	}
	writeDecodeError(w, err)
	return nil, false
}
