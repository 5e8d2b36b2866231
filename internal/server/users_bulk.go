package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// userBulkDeleteRequest is FusionAuth's UserDeleteRequest, the body of the
// clients' deleteUsers and deleteUsersByQuery (eventInfo is not used).
type userBulkDeleteRequest struct {
	DryRun      bool     `json:"dryRun"`
	HardDelete  bool     `json:"hardDelete"`
	Limit       int      `json:"limit"`
	Query       string   `json:"query"`
	QueryString string   `json:"queryString"`
	UserIDs     []string `json:"userIds"`
}

// deleteUsers handles DELETE /api/user/bulk (users.mdx "Bulk Delete
// Users"; manage.UserBulkDelete): the users named by userId (repeated; also
// userIds) or matching queryString, in the query or the body
// (UserDeleteRequest), deactivated, or deleted with hardDelete, or only
// listed with dryRun. The query's flags and the body's add up: either's
// dryRun makes a dry run. Answers FusionAuth's UserDeleteResponse.
func (s *Server) deleteUsers(w http.ResponseWriter, r *http.Request) {
	var q manage.BulkDeleteQuery
	var ok bool
	if q.DryRun, ok = queryFlag(w, r, "dryRun"); !ok {
		return
	}
	if q.HardDelete, ok = queryFlag(w, r, "hardDelete"); !ok {
		return
	}
	if q.Limit, ok = queryInt(w, r, "limit"); !ok {
		return
	}
	var req userBulkDeleteRequest
	if !s.decodeJSON(w, r, &req, true) {
		return
	}
	for _, name := range []string{"userId", "userIds"} {
		for _, id := range r.URL.Query()[name] {
			if id != "" && id != "undefined" && id != "null" {
				q.UserIDs = append(q.UserIDs, id)
			}
		}
	}
	q.UserIDs = append(q.UserIDs, req.UserIDs...)
	q.QueryString, q.Query = firstOf(queryValue(r, "queryString"), req.QueryString), firstOf(queryValue(r, "query"), req.Query)
	q.DryRun, q.HardDelete = q.DryRun || req.DryRun, q.HardDelete || req.HardDelete
	if req.Limit != 0 {
		q.Limit = req.Limit
	}
	res, err := s.Manage.BulkDelete.Delete(r.Context(), scope(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
