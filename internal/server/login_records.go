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
	var req struct {
		Search        loginRecordCriteria `json:"search"`
		RetrieveTotal bool                `json:"retrieveTotal"`
	}
	if !s.readLoginRecordCriteria(w, r, &req, &req.Search) {
		return
	}
	if r.Method == http.MethodGet {
		var ok bool
		if req.RetrieveTotal, ok = queryFlag(w, r, "retrieveTotal"); !ok {
			return
		}
	}
	q := req.Search.query()
	q.RetrieveTotal = req.RetrieveTotal
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

// loginRecordCriteria is a login record search's criteria: the search's
// "search" and the export's "criteria" (exports.go), or the query
// parameters of their GET forms.
type loginRecordCriteria struct {
	ApplicationID string `json:"applicationId"`
	UserID        string `json:"userId"`
	rangePage     `json:",inline"`
}

// readLoginRecordCriteria reads a POST body into body, which holds in, or
// a GET's query parameters into in. On false the answer is written.
func (s *Server) readLoginRecordCriteria(w http.ResponseWriter, r *http.Request, body any, in *loginRecordCriteria) bool {
	return s.readRangeSearch(w, r, body, &in.rangePage, func() {
		in.ApplicationID, in.UserID = queryValue(r, "applicationId"), queryValue(r, "userId")
	})
}

func (in loginRecordCriteria) query() manage.LoginRecordQuery {
	return manage.LoginRecordQuery{ApplicationID: in.ApplicationID, UserID: in.UserID, Start: in.Start, End: in.End,
		StartRow: in.StartRow, NumberOfResults: in.NumberOfResults}
}
