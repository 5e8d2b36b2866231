package server

import (
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// emailForm is the tenant's SMTP settings as typed. The password is never
// shown: blank keeps the stored one, ClearPassword removes it.
type emailForm struct {
	Host, Port, Security, Username, FromEmail, FromName string
	// Headers are additionalHeaders, "Name: value" one a line.
	Headers                    string
	HasPassword, ClearPassword bool
	Securities                 []string
}

func newEmailForm(c storage.EmailConfiguration) emailForm {
	port := ""
	if c.Port != 0 {
		port = strconv.Itoa(c.Port)
	}
	return emailForm{Host: c.Host, Port: port, Security: firstOf(c.Security, "NONE"), Username: c.Username,
		FromEmail: c.DefaultFromEmail, FromName: c.DefaultFromName, HasPassword: c.Password != "", Headers: formatHeaders(c.AdditionalHeaders)}
}

func formatHeaders(hs []storage.EmailHeader) string {
	lines := make([]string, len(hs))
	for i, h := range hs {
		lines[i] = h.Name + ": " + h.Value
	}
	return strings.Join(lines, "\n")
}

// parseHeaders reads the form's headers, "Name: value" one a line (the
// name and value are checked by the tenant API's validation).
func parseHeaders(text string) ([]storage.EmailHeader, bool) {
	var out []storage.EmailHeader
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, false
		}
		out = append(out, storage.EmailHeader{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return out, true
}

// consoleTenantEmail handles POST /admin/tenant/email: the default tenant's
// SMTP server, credentials and sender, checked here (a port, a known
// security mode, an address) and saved through the tenant API's update (its
// audit entry redacts the password; every node's cache), onto the tenant as
// it is now while it has the page's revision (console_revision.go).
func (s *Server) consoleTenantEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cur, ok := s.tenantAsOpened(w, r)
	if !ok {
		return
	}
	e := emailForm{Host: strings.TrimSpace(r.PostFormValue("smtpHost")), Port: strings.TrimSpace(r.PostFormValue("smtpPort")),
		Security: r.PostFormValue("smtpSecurity"), Username: strings.TrimSpace(r.PostFormValue("smtpUsername")),
		FromEmail: strings.TrimSpace(r.PostFormValue("fromEmail")), FromName: strings.TrimSpace(r.PostFormValue("fromName")),
		HasPassword: cur.EmailConfiguration.Password != "", ClearPassword: r.PostFormValue("clearPassword") == "on",
		Headers: r.PostFormValue("smtpHeaders")}
	password := r.PostFormValue("smtpPassword")
	fields := map[string]string{}
	port := 0
	if e.Port != "" {
		n, err := strconv.Atoi(e.Port)
		if err != nil || n < 1 || n > 65535 {
			fields["smtpPort"] = "Enter a port from 1 to 65535, or leave it blank for 25."
		}
		port = n
	}
	if strings.ContainsAny(e.Host, " /:@") {
		fields["smtpHost"] = "Enter a host name or address only (no scheme, port or path)."
	}
	if !slices.Contains(smtpSecurities, e.Security) {
		fields["smtpSecurity"] = "Choose NONE, SSL or TLS."
	}
	if a, err := mail.ParseAddress(e.FromEmail); e.FromEmail != "" && (err != nil || a.Address != e.FromEmail) {
		fields["fromEmail"] = "Enter an email address, like noreply@example.com."
	}
	headers, ok := parseHeaders(e.Headers)
	if !ok {
		fields["smtpHeaders"] = "Write one header a line, as Name: value."
	}
	refuse := func(fields map[string]string) {
		f := newTenantForm(cur)
		f.Email = e
		s.renderTenant(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: "The email settings were not saved."})
	}
	if len(fields) > 0 {
		refuse(fields)
		return
	}
	_, err := s.Manage.Tenants.Update(ctx, manage.Scope{}, cur.ID, func(t storage.Tenant) (storage.Tenant, error) {
		if err := sameRevision(t.Revision, cur.Revision); err != nil {
			return t, err
		}
		c := &t.EmailConfiguration
		c.Host, c.Port, c.Username, c.DefaultFromEmail, c.DefaultFromName = e.Host, port, e.Username, e.FromEmail, e.FromName
		c.Security, c.AdditionalHeaders = e.Security, headers
		switch {
		case e.ClearPassword:
			c.Password = ""
		case password != "":
			c.Password = password
		}
		return t, nil
	})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		s.tenantChanged(w, r)
		return
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			name := p.Field[strings.LastIndex(p.Field, ".")+1:]
			fields[emailFields[name]] = p.Message
		}
		delete(fields, "")
		refuse(fields)
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	seeOther(w, r, consolePath+"/tenant", "email")
}

// emailFields maps the tenant API's emailConfiguration fields to the form's.
var emailFields = map[string]string{"host": "smtpHost", "port": "smtpPort", "security": "smtpSecurity", "username": "smtpUsername",
	"defaultFromEmail": "fromEmail", "defaultFromName": "fromName", "additionalHeaders": "smtpHeaders"}

// smtpSecurities are the tenant's emailConfiguration.security values.
var smtpSecurities = []string{"NONE", "SSL", "TLS"}
