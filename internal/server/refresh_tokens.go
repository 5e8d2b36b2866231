package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
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
	userID := queryValue(r, "userId")
	switch {
	case userID == "":
		writeFieldError(w, "blank", "userId", "You must specify the [userId] parameter as a user id.")
		return
	case !validUUID(userID):
		writeFieldError(w, "couldNotConvert", "userId", "The [userId] parameter is not a valid user id (a UUID).")
		return
	}
	ts, err := s.Store.ListRefreshTokens(r.Context(), userID)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	out := []refreshTokenView{}
	now := s.Now()
	for _, t := range ts {
		if inTenant(r, t.TenantID) && t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) {
			out = append(out, viewRefreshToken(t))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"refreshTokens": out})
}

// getRefreshToken handles GET /api/jwt/refresh/{id} (API key): 404 when the
// token is unknown, revoked or expired.
func (s *Server) getRefreshToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.liveRefreshToken(r, r.PathValue("id"))
	if err != nil {
		s.writeLookupError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"refreshToken": viewRefreshToken(t)})
}

func (s *Server) liveRefreshToken(r *http.Request, id string) (storage.RefreshToken, error) {
	if !validUUID(id) {
		return storage.RefreshToken{}, storage.ErrNotFound
	}
	t, err := s.Store.GetRefreshToken(r.Context(), id)
	if err == nil && (!t.RevokedAt.IsZero() || !s.Now().Before(t.ExpiresAt) || !inTenant(r, t.TenantID)) {
		err = storage.ErrNotFound
	}
	return t, err
}

func (s *Server) writeLookupError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, auth.ErrRefreshNotFound) {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	s.writeInternal(w, r, err)
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
// 200 with no body; 404 when a named token (by id or value) is not live.
func (s *Server) revokeRefreshTokens(w http.ResponseWriter, r *http.Request) {
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
	var e Errors
	for field, v := range map[string]string{"applicationId": req.ApplicationID, "userId": req.UserID} {
		if v != "" && !validUUID(v) {
			e.Field("invalid", field, "The ["+field+"] parameter is not a valid id.")
		}
	}
	id := r.PathValue("id")
	if id == "" && req.Token == "" && req.UserID == "" && req.ApplicationID == "" {
		e.General("missing", "Name a refresh token (id or token) or a userId and/or applicationId.")
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	f := storage.RefreshTokenFilter{UserID: req.UserID, ApplicationID: req.ApplicationID}
	if id != "" || req.Token != "" {
		t, err := s.namedRefreshToken(r, id, req.Token)
		if err == nil && ((f.UserID != "" && f.UserID != t.UserID) || (f.ApplicationID != "" && f.ApplicationID != t.ApplicationID)) {
			err = storage.ErrNotFound
		}
		if err != nil {
			s.writeLookupError(w, r, err)
			return
		}
		f = storage.RefreshTokenFilter{ID: t.ID}
	} else if k, _ := apiKeyFromContext(r.Context()); k.TenantID != "" {
		writeEmpty(w, http.StatusUnauthorized) // bulk revocation crosses tenants; global keys only
		return
	}
	if _, err := s.Store.RevokeRefreshTokens(r.Context(), f, s.Now(), "admin"); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// namedRefreshToken resolves a token by id or by its secret value.
func (s *Server) namedRefreshToken(r *http.Request, id, raw string) (storage.RefreshToken, error) {
	if id != "" {
		return s.liveRefreshToken(r, id)
	}
	t, err := s.Auth.FindRefreshToken(r.Context(), raw)
	if err == nil && !inTenant(r, t.TenantID) {
		err = storage.ErrNotFound
	}
	return t, err
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
