package server

import (
	"net/http"
	"strconv"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// eventLogData is the event log page.
type eventLogData struct {
	Entries      []manage.EventLog
	Total, Start int
	Prev, Next   int // -1: none
}

// consoleEventLog serves GET /admin/event-log: the event log, newest
// first, 25 a page, read-only (the messages are text, escaped by the
// template like every value).
func (s *Server) consoleEventLog(w http.ResponseWriter, r *http.Request) {
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	d := eventLogData{Start: max(0, start), Prev: -1, Next: -1}
	entries, total, err := s.Manage.EventLogs.Search(r.Context(), manage.EventLogQuery{StartRow: d.Start, NumberOfResults: consolePageSize})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	d.Entries, d.Total = entries, total
	d.Prev, d.Next = pageLinks(d.Start, len(entries), total, consolePageSize)
	s.renderConsolePage(w, r, http.StatusOK, "eventlog", consolePage{Title: "Event log", Nav: "eventlog", Data: d})
}
