package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

type roleRequest struct {
	Role storage.ApplicationRole `json:"role"`
}

// createRole handles POST /api/application/{id}/role[/{roleId}]
// (create-application-role.mdx): {"role":{name,description,isDefault,isSuperRole}}.
func (s *Server) createRole(w http.ResponseWriter, r *http.Request) {
	appID, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	roleID, ok := optionalPathID(w, r, "roleId", "roleId")
	if !ok {
		return
	}
	var req roleRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	role, err := s.Manage.Roles.Create(r.Context(), scope(r), appID, roleID, req.Role)
	s.writeRole(w, r, role, err)
}

// updateRole handles PUT and PATCH /api/application/{id}/role/{roleId}.
func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) {
	appID, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	roleID, ok := pathID(w, r, "roleId", "roleId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	role, err := s.Manage.Roles.Update(r.Context(), scope(r), appID, roleID, func(cur storage.ApplicationRole) (storage.ApplicationRole, error) {
		rewind()
		var req roleRequest
		err := decodeReplacement(r, roleRequest{cur}, &req)
		return req.Role, err
	})
	s.writeRole(w, r, role, err)
}

func (s *Server) writeRole(w http.ResponseWriter, r *http.Request, role storage.ApplicationRole, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, roleRequest{role})
}

// deleteRole handles DELETE /api/application/{id}/role/{roleId} and DELETE
// /api/application/{id}/role?name=: the role leaves the application, its
// registrations and its groups.
func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	appID, ok := pathID(w, r, "id", "applicationId")
	if !ok {
		return
	}
	roleID, ok := optionalPathID(w, r, "roleId", "roleId")
	if !ok {
		return
	}
	name := queryValue(r, "name")
	if roleID == "" && name == "" {
		writeFieldError(w, "blank", "name", "Name the role: /api/application/{id}/role/{roleId} or ?name=.")
		return
	}
	if err := s.Manage.Roles.Delete(r.Context(), scope(r), appID, roleID, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
