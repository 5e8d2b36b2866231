package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The consent API (apis/consents). The definitions are global in
// FusionAuth, so a tenant-scoped key is refused there (the routes' global
// mark, guard.go); the consents granted to users follow the user's tenant.

type consentRequest struct {
	Consent *storage.Consent `json:"consent"`
}

type consentResponse struct {
	Consent storage.Consent `json:"consent"`
}

func missingObject(name string) error {
	v := &manage.Invalid{}
	v.Field("missing", name, "You must specify the ["+name+"] object.")
	return v
}

// createConsent handles POST /api/consent[/{id}] (TS createConsent).
func (s *Server) createConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "consentId")
	if !ok {
		return
	}
	var req consentRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.Consent == nil {
		s.writeError(w, r, missingObject("consent"))
		return
	}
	c, err := s.Manage.Consents.CreateConsent(r.Context(), id, *req.Consent)
	s.answer(w, r, err, consentResponse{c})
}

// getConsent handles GET /api/consent/{id} (TS retrieveConsent).
func (s *Server) getConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "consentId")
	if !ok {
		return
	}
	c, err := s.Manage.Consents.GetConsent(r.Context(), id)
	s.answer(w, r, err, consentResponse{c})
}

// listConsents handles GET /api/consent (TS retrieveConsents):
// {"consents":[...]} by name.
func (s *Server) listConsents(w http.ResponseWriter, r *http.Request) {
	list, err := s.Manage.Consents.ListConsents(r.Context())
	s.answer(w, r, err, map[string]any{"consents": list})
}

// searchConsents handles GET /api/consent/search?name=&orderBy=&startRow=
// &numberOfResults= and POST /api/consent/search {"search":{...}} (TS
// searchConsents, searchConsentsByParameters): {"consents":[...],"total":n}.
func (s *Server) searchConsents(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search nameSearch `json:"search"`
	}
	if !s.readSearch(w, r, &req, &req.Search) {
		return
	}
	in := req.Search
	page, total, err := s.Manage.Consents.SearchConsents(r.Context(), manage.ConsentSearch{Name: in.Name, OrderBy: in.OrderBy,
		StartRow: in.StartRow, NumberOfResults: in.NumberOfResults})
	s.answer(w, r, err, map[string]any{"consents": page, "total": total})
}

// updateConsent handles PUT and PATCH /api/consent/{id} (TS updateConsent,
// patchConsent).
func (s *Server) updateConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "consentId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	c, err := s.Manage.Consents.UpdateConsent(r.Context(), id, func(cur storage.Consent) (storage.Consent, error) {
		rewind()
		var req consentRequest
		if err := decodeReplacement(r, consentResponse{cur}, &req); err != nil {
			return cur, err
		}
		if req.Consent == nil {
			return cur, missingObject("consent")
		}
		return *req.Consent, nil
	})
	s.answer(w, r, err, consentResponse{c})
}

// deleteConsent handles DELETE /api/consent/{id} (TS deleteConsent): the
// consents granted of it go too.
func (s *Server) deleteConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "consentId")
	if !ok {
		return
	}
	if err := s.Manage.Consents.DeleteConsent(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
