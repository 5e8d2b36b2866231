package server

import (
	"net/http"
	"strconv"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// FusionAuth's Event Log API (apis/event-logs): what failed in background
// work (mail and webhook deliveries, lambdas; manage.EventLogs). Global like
// the webhook event log: a tenant-scoped key is refused (routes.go).

// getEventLog handles GET /api/system/event-log/{id}: 200 {"eventLog"},
// 404 with an empty body for an unknown id.
func (s *Server) getEventLog(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeFieldError(w, "couldNotConvert", "eventLogId", "Invalid [eventLogId] on the URL ["+truncate(r.PathValue("id"), 64)+"]. It must be a positive number.")
		return
	}
	e, err := s.Manage.EventLogs.Get(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"eventLog": e})
}

// searchEventLogs handles GET and POST /api/system/event-log/search:
// message (any case; '*' wildcards, plain text matches containing it),
// type, start, end, orderBy, startRow, numberOfResults;
// {"eventLogs":[...],"total":n}, newest first.
func (s *Server) searchEventLogs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			Message   string `json:"message"`
			Type      string `json:"type"`
			OrderBy   string `json:"orderBy"`
			rangePage `json:",inline"`
		} `json:"search"`
	}
	in := &req.Search
	if !s.readRangeSearch(w, r, &req, &in.rangePage, func() {
		in.Message, in.Type, in.OrderBy = queryValue(r, "message"), queryValue(r, "type"), queryValue(r, "orderBy")
	}) {
		return
	}
	logs, total, err := s.Manage.EventLogs.Search(r.Context(), manage.EventLogQuery{Message: in.Message, Type: in.Type,
		Start: in.Start, End: in.End, OrderBy: in.OrderBy, StartRow: in.StartRow, NumberOfResults: in.NumberOfResults})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"eventLogs": logs, "total": total})
}
