package server

import (
	"net/http"
	"strconv"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// createAuditLog handles POST /api/system/audit-log (audit-logs.mdx):
// {"auditLog":{insertUser,message,reason,data,newValue,oldValue}}, answered
// with the stored entry (FusionAuth's TypeScript client types it
// AuditLogResponse).
func (s *Server) createAuditLog(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AuditLog manage.AuditInput `json:"auditLog"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	e, err := s.Manage.AuditLogs.Create(r.Context(), scope(r), req.AuditLog)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"auditLog": e})
}

// getAuditLog handles GET /api/system/audit-log/{id}; the id is a number
// (FusionAuth's audit log ids are Longs).
func (s *Server) getAuditLog(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeFieldError(w, "couldNotConvert", "auditLogId", "Invalid [auditLogId] on the URL ["+truncate(r.PathValue("id"), 64)+"]. It must be a positive number.")
		return
	}
	e, err := s.Manage.AuditLogs.Get(r.Context(), scope(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"auditLog": e})
}

// searchAuditLogs handles GET and POST /api/system/audit-log/search:
// message, user, newValue, oldValue, reason ('*' wildcards; plain text
// matches containing it), start, end, orderBy, startRow, numberOfResults;
// {"auditLogs":[...],"total":n}.
func (s *Server) searchAuditLogs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search auditCriteria `json:"search"`
	}
	if !s.readAuditCriteria(w, r, &req, &req.Search) {
		return
	}
	entries, total, err := s.Manage.AuditLogs.Search(r.Context(), scope(r), req.Search.query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"auditLogs": entries, "total": total})
}

// auditCriteria is an audit log search's criteria: the search's "search"
// and the export's "criteria" (exports.go), or the query parameters of
// their GET forms.
type auditCriteria struct {
	Message   string `json:"message"`
	User      string `json:"user"`
	Reason    string `json:"reason"`
	OldValue  string `json:"oldValue"`
	NewValue  string `json:"newValue"`
	OrderBy   string `json:"orderBy"`
	rangePage `json:",inline"`
}

// readAuditCriteria reads a POST body into body, which holds in, or a GET's
// query parameters into in. On false the answer is written.
func (s *Server) readAuditCriteria(w http.ResponseWriter, r *http.Request, body any, in *auditCriteria) bool {
	return s.readRangeSearch(w, r, body, &in.rangePage, func() {
		in.Message, in.User, in.Reason = queryValue(r, "message"), queryValue(r, "user"), queryValue(r, "reason")
		in.OldValue, in.NewValue, in.OrderBy = queryValue(r, "oldValue"), queryValue(r, "newValue"), queryValue(r, "orderBy")
	})
}

func (in auditCriteria) query() manage.AuditQuery {
	return manage.AuditQuery{Message: in.Message, User: in.User, Reason: in.Reason, OldValue: in.OldValue, NewValue: in.NewValue,
		Start: in.Start, End: in.End, OrderBy: in.OrderBy, StartRow: in.StartRow, NumberOfResults: in.NumberOfResults}
}
