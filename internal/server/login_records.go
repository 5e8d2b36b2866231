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
		var ok bool
		if q, ok = loginRecordParams(w, r); !ok {
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

// loginRecordParams reads the GET form of the login-record search.
func loginRecordParams(w http.ResponseWriter, r *http.Request) (manage.LoginRecordQuery, bool) {
	q := manage.LoginRecordQuery{ApplicationID: queryValue(r, "applicationId"), UserID: queryValue(r, "userId"),
		RetrieveTotal: isFlag(r, "retrieveTotal")}
	var ok bool
	if q.Start, ok = queryInt64(w, r, "start"); !ok {
		return q, false
	}
	if q.End, ok = queryInt64(w, r, "end"); !ok {
		return q, false
	}
	if q.StartRow, ok = queryInt(w, r, "startRow"); !ok {
		return q, false
	}
	q.NumberOfResults, ok = queryInt(w, r, "numberOfResults")
	return q, ok
}
