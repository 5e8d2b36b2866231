package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

type familyRequest struct {
	FamilyMember manage.FamilyMember `json:"familyMember"`
}

// createFamily handles POST /api/user/family[/{familyId}] (families.mdx;
// TS createFamily): {"familyMember":{userId, role: Adult, data}} ->
// {"family":{...}} with that user as owner and only member.
func (s *Server) createFamily(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "familyId", "familyId")
	if !ok {
		return
	}
	var req familyRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	f, err := s.Manage.Families.Create(r.Context(), scope(r), id, req.FamilyMember)
	s.writeFamily(w, r, f, err)
}

// putFamilyMember handles PUT /api/user/family/{familyId} (TS
// addUserToFamily and updateFamily, one request): the user is added, or
// updated when already a member.
func (s *Server) putFamilyMember(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "familyId", "familyId")
	if !ok {
		return
	}
	var req familyRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	f, err := s.Manage.Families.Put(r.Context(), scope(r), id, req.FamilyMember)
	s.writeFamily(w, r, f, err)
}

// getFamily handles GET /api/user/family/{familyId} (TS
// retrieveFamilyMembersByFamilyId): {"family":{...}}.
func (s *Server) getFamily(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "familyId", "familyId")
	if !ok {
		return
	}
	f, err := s.Manage.Families.Get(r.Context(), scope(r), id)
	s.writeFamily(w, r, f, err)
}

func (s *Server) writeFamily(w http.ResponseWriter, r *http.Request, f manage.Family, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"family": f})
}

// userFamilies handles GET /api/user/family?userId= (TS
// retrieveFamilies): {"families":[...]}; 404 for an unknown user.
func (s *Server) userFamilies(w http.ResponseWriter, r *http.Request) {
	userID := r.URL.Query().Get("userId")
	if userID == "" {
		writeFieldError(w, "blank", "userId", "You must specify the [userId] parameter.")
		return
	}
	if !optionalID(w, "userId", userID) {
		return
	}
	fs, err := s.Manage.Families.OfUser(r.Context(), scope(r), userID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"families": fs})
}

// removeFamilyMember handles DELETE /api/user/family/{familyId}/{userId}
// (TS removeUserFromFamily): 200 without a body.
func (s *Server) removeFamilyMember(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "familyId", "familyId")
	if !ok {
		return
	}
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	if err := s.Manage.Families.Remove(r.Context(), scope(r), id, userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// pendingChildren handles GET /api/user/family/pending?parentEmail= (TS
// retrievePendingChildren): {"users":[...]}, at most
// manage.MaxPendingChildren.
func (s *Server) pendingChildren(w http.ResponseWriter, r *http.Request) {
	users, err := s.Manage.Families.Pending(r.Context(), scope(r), r.URL.Query().Get("parentEmail"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		j, err := s.withTwoFactor(r.Context(), u)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// familyRequestEmail handles POST /api/user/family/request (TS
// sendFamilyRequestEmail): {"parentEmail":"..."} -> 200 without a body
// once the email is in the outbox.
func (s *Server) familyRequestEmail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ParentEmail string `json:"parentEmail"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if err := s.Manage.Families.RequestParent(r.Context(), scope(r), req.ParentEmail); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
