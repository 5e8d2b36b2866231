package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// The consents granted to users (apis/consents, "User Consent"): a
// tenant-scoped key sees and changes only its tenant's users' consents;
// another tenant's is 404 like an unknown one.

type userConsentRequest struct {
	UserConsent *manage.UserConsent `json:"userConsent"`
}

type userConsentResponse struct {
	UserConsent manage.UserConsent `json:"userConsent"`
}

// grantUserConsent handles POST /api/user/consent[/{id}] (TS
// createUserConsent): {"userConsent":{userId, giverUserId, consentId,
// values, status}}.
func (s *Server) grantUserConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "userConsentId")
	if !ok {
		return
	}
	var req userConsentRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.UserConsent == nil {
		s.writeError(w, r, missingObject("userConsent"))
		return
	}
	uc, err := s.Manage.Consents.Grant(r.Context(), scope(r), id, *req.UserConsent)
	s.answer(w, r, err, userConsentResponse{uc})
}

// getUserConsent handles GET /api/user/consent/{id} (TS
// retrieveUserConsent).
func (s *Server) getUserConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userConsentId")
	if !ok {
		return
	}
	uc, err := s.Manage.Consents.GetUserConsent(r.Context(), scope(r), id)
	s.answer(w, r, err, userConsentResponse{uc})
}

// listUserConsents handles GET /api/user/consent?userId= (TS
// retrieveUserConsents): {"userConsents":[...]}, oldest first; 404 for an
// unknown user, 400 [blank]userId without one.
func (s *Server) listUserConsents(w http.ResponseWriter, r *http.Request) {
	userID := queryValue(r, "userId")
	if userID == "" {
		writeFieldError(w, "blank", "userId", "You must specify the [userId] parameter.")
		return
	}
	list, err := s.Manage.Consents.ListUserConsents(r.Context(), scope(r), userID)
	s.answer(w, r, err, map[string]any{"userConsents": list})
}

// updateUserConsent handles PUT and PATCH /api/user/consent/{id} (TS
// updateUserConsent, patchUserConsent): status (required) and values.
func (s *Server) updateUserConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userConsentId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	uc, err := s.Manage.Consents.UpdateUserConsent(r.Context(), scope(r), id, func(cur manage.UserConsent) (manage.UserConsent, error) {
		rewind()
		var req userConsentRequest
		if err := decodeReplacement(r, userConsentResponse{cur}, &req); err != nil {
			return cur, err
		}
		if req.UserConsent == nil {
			return cur, missingObject("userConsent")
		}
		return *req.UserConsent, nil
	})
	s.answer(w, r, err, userConsentResponse{uc})
}

// revokeUserConsent handles DELETE /api/user/consent/{id} (TS
// revokeUserConsent): the consent stays, its status Revoked.
func (s *Server) revokeUserConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userConsentId")
	if !ok {
		return
	}
	if err := s.Manage.Consents.RevokeUserConsent(r.Context(), scope(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
