package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// actionRequest is FusionAuth's ActionRequest. broadcast (webhooks) has no
// effect: latchkey sends no events yet.
type actionRequest struct {
	Action    manage.ActionRequest `json:"action"`
	Broadcast bool                 `json:"broadcast"`
}

// actionUser handles POST /api/user/action (actioning-users.mdx "Take an
// Action on a User").
func (s *Server) actionUser(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	l, err := s.Manage.Actions.Take(r.Context(), scope(r), req.Action)
	s.writeAction(w, r, l, err)
}

// getActions handles GET /api/user/action/{id} and GET
// /api/user/action?userId= (&active=true|false, &preventingLogin=true).
func (s *Server) getActions(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != "" {
		id, ok := pathID(w, r, "id", "actionId")
		if !ok {
			return
		}
		l, err := s.Manage.Actions.Get(r.Context(), scope(r), id)
		s.writeAction(w, r, l, err)
		return
	}
	var f manage.ActionFilter
	var ok bool
	if f.Active, ok = queryBool(w, r, "active"); !ok {
		return
	}
	if f.PreventingLogin, ok = queryFlag(w, r, "preventingLogin"); !ok {
		return
	}
	userID := queryValue(r, "userId")
	if userID == "" {
		writeFieldError(w, "blank", "userId", "You must specify the [userId] parameter.")
		return
	}
	if !optionalID(w, "userId", userID) {
		return
	}
	ls, err := s.Manage.Actions.List(r.Context(), scope(r), userID, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": ls})
}

// changeAction handles PUT /api/user/action/{id} (modify) and DELETE
// /api/user/action/{id} with a JSON body (cancel).
func (s *Server) changeAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "actionId")
	if !ok {
		return
	}
	var req actionRequest
	if !s.decodeJSON(w, r, &req, r.Method == http.MethodDelete) {
		return
	}
	change := s.Manage.Actions.Modify
	if r.Method == http.MethodDelete {
		change = s.Manage.Actions.Cancel
	}
	l, err := change(r.Context(), scope(r), id, req.Action)
	s.writeAction(w, r, l, err)
}

func (s *Server) writeAction(w http.ResponseWriter, r *http.Request, l storage.UserActionLog, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"action": l})
}
