package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consoleTemplates serves GET /admin/email-templates.
func (s *Server) consoleTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.EmailTemplates.List(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderConsolePage(w, r, http.StatusOK, "emailtemplates", consolePage{Title: "Email templates", Nav: "templates", Data: ts})
}

// templateData is the template page: the template as typed, and the
// preview when one was asked for.
type templateData struct {
	Template storage.EmailTemplate
	Preview  *mail.PreviewEmail
}

// templateFields maps the email template API's fields to the form's.
var templateFields = map[string]string{"emailTemplate.name": "name", "emailTemplate.defaultSubject": "subject",
	"emailTemplate.defaultHtmlTemplate": "html", "emailTemplate.defaultTextTemplate": "text"}

// consoleTemplate serves GET /admin/email-templates/{id}.
func (s *Server) consoleTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.Manage.EmailTemplates.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "email template")
	case err != nil:
		s.consoleError(w, r, err)
	default:
		notice := map[string]string{"saved": "Saved. The next mail of this template uses it."}[r.URL.Query().Get("done")]
		s.renderConsolePage(w, r, http.StatusOK, "emailtemplate", consolePage{Title: t.Name, Nav: "templates", Notice: notice,
			Data: templateData{Template: t}})
	}
}

// consoleTemplateSave handles POST /admin/email-templates/{id}: with
// preview=1 the form's template is rendered against sample data (nothing
// saved; the tenant's from address), else it is saved through the email
// template API's update (checked the same way). The default-language
// fields only; localized versions are the API's.
func (s *Server) consoleTemplateSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cur, err := s.Manage.EmailTemplates.Get(ctx, r.PathValue("id"))
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "email template")
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	t := cur
	t.Name, t.DefaultSubject = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("subject")
	t.DefaultHTMLTemplate, t.DefaultTextTemplate = r.PostFormValue("html"), r.PostFormValue("text")
	p := consolePage{Title: cur.Name, Nav: "templates", Data: templateData{Template: t}}
	if r.PostFormValue("preview") == "1" {
		tenant, err := s.Manage.Tenants.Get(ctx, manage.Scope{}, manage.DefaultTenantID)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		email, inv := s.Manage.EmailTemplates.Preview(t, "", tenant.EmailConfiguration)
		p.Data = templateData{Template: t, Preview: &email}
		p.Fields, p.Problem = templateProblems(inv)
		s.renderConsolePage(w, r, http.StatusOK, "emailtemplate", p)
		return
	}
	_, err = s.Manage.EmailTemplates.Update(ctx, cur.ID, func(storage.EmailTemplate) (storage.EmailTemplate, error) { return t, nil })
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		p.Fields, p.Problem = templateProblems(inv)
		s.renderConsolePage(w, r, http.StatusBadRequest, "emailtemplate", p)
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/email-templates/"+cur.ID, "saved")
	}
}

// templateProblems puts each message next to its field.
func templateProblems(inv *manage.Invalid) (map[string]string, string) {
	if inv.Empty() {
		return nil, ""
	}
	fields := map[string]string{}
	var rest []string
	for _, p := range inv.Problems {
		if f, ok := templateFields[p.Field]; ok {
			fields[f] = strings.TrimSpace(fields[f] + " " + p.Message)
		} else {
			rest = append(rest, p.Message)
		}
	}
	return fields, strings.Join(rest, " ")
}
