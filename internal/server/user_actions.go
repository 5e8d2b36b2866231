package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

type userActionRequest struct {
	UserAction storage.UserAction `json:"userAction"`
}

// createUserAction handles POST /api/user-action[/{id}] (user-actions.mdx).
func (s *Server) createUserAction(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "userActionId")
	if !ok {
		return
	}
	var req userActionRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	a, err := s.Manage.UserActions.Create(r.Context(), id, req.UserAction)
	s.writeUserAction(w, r, a, err)
}

// getUserActions handles GET /api/user-action (active ones; ?inactive=true
// the others) and GET /api/user-action/{id}.
func (s *Server) getUserActions(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "" {
		inactive, ok := queryFlag(w, r, "inactive")
		if !ok {
			return
		}
		as, err := s.Manage.UserActions.List(r.Context(), inactive)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"userActions": as})
		return
	}
	id, ok := pathID(w, r, "id", "userActionId")
	if !ok {
		return
	}
	a, err := s.Manage.UserActions.Get(r.Context(), id)
	s.writeUserAction(w, r, a, err)
}

// updateUserAction handles PUT and PATCH /api/user-action/{id}, and PUT
// ?reactivate=true.
func (s *Server) updateUserAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userActionId")
	if !ok {
		return
	}
	reactivate, ok := queryFlag(w, r, "reactivate")
	if !ok {
		return
	}
	if r.Method == http.MethodPut && reactivate {
		a, err := s.Manage.UserActions.SetActive(r.Context(), id, true)
		s.writeUserAction(w, r, a, err)
		return
	}
	rewind := replayBody(r)
	a, err := s.Manage.UserActions.Update(r.Context(), id, func(cur storage.UserAction) (storage.UserAction, error) {
		rewind()
		var req userActionRequest
		err := decodeReplacement(r, userActionRequest{cur}, &req)
		return req.UserAction, err
	})
	s.writeUserAction(w, r, a, err)
}

// deleteUserAction handles DELETE /api/user-action/{id}: deactivates, or
// with ?hardDelete=true deletes.
func (s *Server) deleteUserAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "userActionId")
	if !ok {
		return
	}
	hard, ok := queryFlag(w, r, "hardDelete")
	if !ok {
		return
	}
	var err error
	if hard {
		err = s.Manage.UserActions.Delete(r.Context(), id)
	} else {
		_, err = s.Manage.UserActions.SetActive(r.Context(), id, false)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

func (s *Server) writeUserAction(w http.ResponseWriter, r *http.Request, a storage.UserAction, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userActionRequest{a})
}
