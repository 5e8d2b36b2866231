package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// auditData is the audit log page.
type auditData struct {
	User, Message string
	Entries       []storage.AuditEntry
	Total, Start  int
	Prev, Next    int // -1: none
}

// consoleAudit serves GET /admin/audit: the audit log, newest first,
// filtered by who (insertUser) and what (message), 25 a page.
func (s *Server) consoleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	d := auditData{User: strings.TrimSpace(q.Get("user")), Message: strings.TrimSpace(q.Get("message")),
		Start: max(0, start), Prev: -1, Next: -1}
	entries, total, err := s.Manage.AuditLogs.Search(r.Context(), manage.Scope{}, manage.AuditQuery{User: d.User,
		Message: d.Message, StartRow: d.Start, NumberOfResults: consolePageSize})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.renderConsolePage(w, r, http.StatusBadRequest, "audit", consolePage{Title: "Audit log", Nav: "audit", Problem: problemText(inv), Data: d})
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	d.Entries, d.Total = entries, total
	d.Prev, d.Next = pageLinks(d.Start, len(entries), total, consolePageSize)
	s.renderConsolePage(w, r, http.StatusOK, "audit", consolePage{Title: "Audit log", Nav: "audit", Data: d})
}
