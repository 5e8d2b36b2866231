package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// groupRequest is FusionAuth's group request: the group and the ids of the
// roles it grants.
type groupRequest struct {
	Group struct {
		Name string         `json:"name"`
		Data map[string]any `json:"data,omitempty"`
	} `json:"group"`
	RoleIDs []string `json:"roleIds"`
}

func (g groupRequest) input() manage.GroupInput {
	return manage.GroupInput{Name: g.Group.Name, Data: g.Group.Data, RoleIDs: g.RoleIDs}
}

// createGroup handles POST /api/group[/{id}] (groups.mdx).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "groupId")
	if !ok {
		return
	}
	var req groupRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	g, err := s.Manage.Groups.Create(r.Context(), scope(r), id, req.input())
	s.writeGroup(w, r, g, err)
}

// getGroup handles GET /api/group/{id}.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "groupId")
	if !ok {
		return
	}
	g, err := s.Manage.Groups.Get(r.Context(), scope(r), id)
	s.writeGroup(w, r, g, err)
}

// listGroups handles GET /api/group.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := s.Manage.Groups.List(r.Context(), scope(r), "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": gs})
}

// nameSearchRequest is FusionAuth's search by name with paging, the body of
// POST /api/group/search and POST /api/entity/type/search.
type nameSearchRequest struct {
	Search struct {
		Name            string `json:"name"`
		StartRow        int    `json:"startRow"`
		NumberOfResults int    `json:"numberOfResults"`
	} `json:"search"`
}

// searchGroups handles POST /api/group/search (groups.mdx "Search for
// Groups"): {"search":{"name":"*staff*","startRow":0,"numberOfResults":25}}
// answers {"groups":[...],"total":n}.
func (s *Server) searchGroups(w http.ResponseWriter, r *http.Request) {
	var req nameSearchRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	gs, err := s.Manage.Groups.List(r.Context(), scope(r), req.Search.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := manage.PageOf(gs, req.Search.StartRow, req.Search.NumberOfResults)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": page, "total": len(gs)})
}

// updateGroup handles PUT and PATCH /api/group/{id}; PUT's roleIds replace
// the group's roles.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "groupId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	g, err := s.Manage.Groups.Update(r.Context(), scope(r), id, func(cur manage.GroupInput) (manage.GroupInput, error) {
		rewind()
		var curReq groupRequest
		curReq.Group.Name, curReq.Group.Data, curReq.RoleIDs = cur.Name, cur.Data, cur.RoleIDs
		var req groupRequest
		err := decodeReplacement(r, curReq, &req)
		return req.input(), err
	})
	s.writeGroup(w, r, g, err)
}

// deleteGroup handles DELETE /api/group/{id}: memberships go with it.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "groupId")
	if !ok {
		return
	}
	if err := s.Manage.Groups.Delete(r.Context(), scope(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, g manage.GroupView, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"group": g})
}
