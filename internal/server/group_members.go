package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// membersRequest is FusionAuth's MemberRequest: members by group id.
type membersRequest struct {
	Members map[string][]struct {
		ID     string         `json:"id"`
		UserID string         `json:"userId"`
		Data   map[string]any `json:"data"`
	} `json:"members"`
}

// saveMembers handles POST /api/group/member (add) and PUT (each listed
// group's whole membership): {"members":{"<groupId>":[{"userId":...}]}},
// answered with the stored memberships by group.
func (s *Server) saveMembers(w http.ResponseWriter, r *http.Request) {
	var req membersRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	in := map[string][]manage.MemberInput{}
	for gid, ms := range req.Members {
		in[gid] = []manage.MemberInput{}
		for _, m := range ms {
			in[gid] = append(in[gid], manage.MemberInput{ID: m.ID, UserID: m.UserID, Data: m.Data})
		}
	}
	out, err := s.Manage.Members.Add(r.Context(), scope(r), in, r.Method == http.MethodPut)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
}

// deleteMembers handles DELETE /api/group/member with {"memberIds":[...]}
// or {"members":{"<groupId>":["<userId>"]}}, DELETE
// /api/group/member?groupId=&userId= and DELETE /api/group/member/{id}.
func (s *Server) deleteMembers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MemberIDs []string            `json:"memberIds"`
		Members   map[string][]string `json:"members"`
	}
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	q := manage.MemberRemoval{MemberIDs: req.MemberIDs, Members: req.Members,
		GroupID: queryValue(r, "groupId"), UserID: queryValue(r, "userId")}
	if !optionalID(w, "groupId", q.GroupID) || !optionalID(w, "userId", q.UserID) {
		return
	}
	if id := r.PathValue("id"); id != "" {
		mid, ok := pathID(w, r, "id", "memberId")
		if !ok {
			return
		}
		q = manage.MemberRemoval{MemberIDs: []string{mid}}
	}
	if err := s.Manage.Members.Remove(r.Context(), scope(r), q); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// searchMembers handles GET and POST /api/group/member/search:
// {"search":{"groupId","userId","startRow","numberOfResults"}} answers
// {"members":[...],"total":n}.
func (s *Server) searchMembers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			GroupID         string `json:"groupId"`
			UserID          string `json:"userId"`
			StartRow        int    `json:"startRow"`
			NumberOfResults int    `json:"numberOfResults"`
		} `json:"search"`
	}
	if r.Method == http.MethodPost {
		if !s.decodeJSON(w, r, &req, false) {
			return
		}
	} else {
		var ok bool
		req.Search.GroupID, req.Search.UserID = queryValue(r, "groupId"), queryValue(r, "userId")
		if req.Search.StartRow, ok = queryInt(w, r, "startRow"); !ok {
			return
		}
		if req.Search.NumberOfResults, ok = queryInt(w, r, "numberOfResults"); !ok {
			return
		}
	}
	q := req.Search
	ms, total, err := s.Manage.Members.Search(r.Context(), scope(r), q.GroupID, q.UserID, q.StartRow, q.NumberOfResults)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms, "total": total})
}
