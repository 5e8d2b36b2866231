package server

import (
	"archive/zip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// exportTimeout bounds one export: the rows stream a page at a time
// (manage.ExportPage), so memory stays flat, and the time grows with the
// rows (docs/api.md).
const exportTimeout = 5 * time.Minute

// The files FusionAuth's exports hold, and their columns (FusionAuth's
// audit log and login record services write the same names).
var (
	auditColumns       = []string{"Id", "Tenant Id", "Created", "User", "Reason", "Message", "Old value", "New value"}
	loginRecordColumns = []string{"User Id", "Identity value", "Identity type", "Time", "Application Id", "IP Address",
		"City", "Country", "Zipcode", "Region", "Latitude", "Longitude"}
)

// exportAuditLogs handles POST /api/system/audit-log/export
// {"criteria":{...},"dateTimeSecondsFormat":…,"zoneId":…} and its GET form
// (the criteria, dateTimeSecondsFormat and zoneId as query parameters)
// (audit-logs.mdx "Export Audit Logs"): a zip holding audit_log.csv, the
// entries the same criteria's search finds for the key, newest first.
func (s *Server) exportAuditLogs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Criteria auditCriteria `json:"criteria"`
		manage.ExportOptions
	}
	if !s.readAuditCriteria(w, r, &req, &req.Criteria) {
		return
	}
	exportOptionsFromQuery(r, &req.ExportOptions)
	x, err := s.Manage.AuditLogs.Export(r.Context(), scope(r), req.Criteria.query(), req.ExportOptions)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeCSVZip(w, r, "Audit Log Export.zip", "audit_log.csv", auditColumns, func(row func(...string) error) error {
		return x.Each(r.Context(), func(e storage.AuditEntry) error {
			return row(strconv.FormatInt(e.ID, 10), e.TenantID, x.Format.Format(e.InsertInstant), e.InsertUser, e.Reason,
				e.Message, exportValue(e.OldValue), exportValue(e.NewValue))
		})
	})
}

// exportLoginRecords handles POST /api/system/login-record/export and its
// GET form (login/export.mdx): a zip holding login_records.csv, the
// records the same criteria's search finds for the key, newest first.
// latchkey has no geo-IP database: City to Longitude are empty, as
// FusionAuth leaves them without Advanced Threat Detection; Identity type
// is empty too (latchkey keeps the login id, not its type).
func (s *Server) exportLoginRecords(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Criteria loginRecordCriteria `json:"criteria"`
		manage.ExportOptions
	}
	if !s.readLoginRecordCriteria(w, r, &req, &req.Criteria) {
		return
	}
	exportOptionsFromQuery(r, &req.ExportOptions)
	x, err := s.Manage.LoginRecords.Export(r.Context(), scope(r), req.Criteria.query(), req.ExportOptions)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeCSVZip(w, r, "Login Records Export.zip", "login_records.csv", loginRecordColumns, func(row func(...string) error) error {
		return x.Each(r.Context(), func(l storage.LoginRecord) error {
			return row(l.UserID, l.LoginID, "", x.Format.Format(l.Instant), l.ApplicationID, l.IPAddress, "", "", "", "", "", "")
		})
	})
}

// exportOptionsFromQuery reads a GET export's dateTimeSecondsFormat and
// zoneId.
func exportOptionsFromQuery(r *http.Request, o *manage.ExportOptions) {
	if r.Method == http.MethodGet {
		o.DateTimeSecondsFormat, o.ZoneID = queryValue(r, "dateTimeSecondsFormat"), queryValue(r, "zoneId")
	}
}

// exportValue is an audit entry's old or new value in a cell: a string as
// it is, anything else as its JSON.
func exportValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// writeCSVZip answers 200 with a zip holding one CSV file, name, whose
// first row is columns and whose other rows rows writes through row. The
// rows stream into the zip as they come. A failure after the first byte
// cannot change the status: it is logged and the connection aborted, so
// the client holds a zip without its central directory (unreadable, never
// a silently short export).
func (s *Server) writeCSVZip(w http.ResponseWriter, r *http.Request, download, name string, columns []string,
	rows func(row func(...string) error) error) {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+download+`"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	f, err := zw.Create(name)
	if err == nil {
		c := csvWriter{w: f}
		if err = c.row(columns...); err == nil {
			err = rows(c.row)
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		s.Logger.LogAttrs(r.Context(), slog.LevelError, "export failed after its answer began",
			slog.String("request_id", requestID(r.Context())), slog.String("file", name), slog.Any("error", err))
		panic(http.ErrAbortHandler)
	}
}

// csvWriter writes RFC 4180 rows (every cell quoted, a quote doubled, CRLF
// line ends) whose cells cannot run as spreadsheet formulas.
type csvWriter struct {
	w io.Writer
	b strings.Builder
}

func (c *csvWriter) row(cells ...string) error {
	c.b.Reset()
	for i, v := range cells {
		if i > 0 {
			c.b.WriteByte(',')
		}
		c.b.WriteByte('"')
		c.b.WriteString(strings.ReplaceAll(neutralizeFormula(v), `"`, `""`))
		c.b.WriteByte('"')
	}
	c.b.WriteString("\r\n")
	_, err := io.WriteString(c.w, c.b.String())
	return err
}

// neutralizeFormula prefixes a cell a spreadsheet would read as a formula
// (it starts with =, +, -, @, a tab or a carriage return) with a single
// quote, which spreadsheets show as text, as OWASP's CSV Injection page
// recommends (https://owasp.org/www-community/attacks/CSV_Injection). An
// audit message or a login id is whatever a caller wrote.
func neutralizeFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
