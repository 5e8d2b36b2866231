package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// recentLogins handles GET /api/user/recent-login?userId=&offset=&limit=
// (users.mdx "Retrieve Recent Logins"): {"logins":[...]}, newest first.
func (s *Server) recentLogins(w http.ResponseWriter, r *http.Request) {
	offset, ok := queryInt(w, r, "offset")
	if !ok {
		return
	}
	limit, ok := queryInt(w, r, "limit")
	if !ok {
		return
	}
	logins, err := s.Manage.LoginRecords.Recent(r.Context(), scope(r), queryValue(r, "userId"), offset, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"logins": logins})
}

// searchLoginRecords handles GET and POST /api/system/login-record/search
// (login/search.mdx): applicationId, userId, start, end, startRow,
// numberOfResults, retrieveTotal; {"logins":[...],"total":n}.
func (s *Server) searchLoginRecords(w http.ResponseWriter, r *http.Request) {
	var q manage.LoginRecordQuery
	if r.Method == http.MethodPost {
		var req struct {
			Search struct {
				ApplicationID   string `json:"applicationId"`
				UserID          string `json:"userId"`
				Start           int64  `json:"start"`
				End             int64  `json:"end"`
				StartRow        int    `json:"startRow"`
				NumberOfResults int    `json:"numberOfResults"`
			} `json:"search"`
			RetrieveTotal bool `json:"retrieveTotal"`
		}
		if !s.decodeJSON(w, r, &req, false) {
			return
		}
		in := req.Search
		q = manage.LoginRecordQuery{ApplicationID: in.ApplicationID, UserID: in.UserID, Start: in.Start, End: in.End,
			StartRow: in.StartRow, NumberOfResults: in.NumberOfResults, RetrieveTotal: req.RetrieveTotal}
	} else {
		ok := true
		q = manage.LoginRecordQuery{ApplicationID: queryValue(r, "applicationId"), UserID: queryValue(r, "userId"),
			RetrieveTotal: isFlag(r, "retrieveTotal")}
		for _, p := range []struct {
			name string
			v    *int64
		}{{"start", &q.Start}, {"end", &q.End}} {
			if ok {
				*p.v, ok = queryInt64(w, r, p.name)
			}
		}
		if ok {
			q.StartRow, ok = queryInt(w, r, "startRow")
		}
		if ok {
			q.NumberOfResults, ok = queryInt(w, r, "numberOfResults")
		}
		if !ok {
			return
		}
	}
	logins, total, err := s.Manage.LoginRecords.Search(r.Context(), scope(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"logins": logins}
	if q.RetrieveTotal {
		out["total"] = total
	}
	writeJSON(w, http.StatusOK, out)
}
