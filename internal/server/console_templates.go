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
	// Locales are the localized versions (console_template_locales.go);
	// PreviewLocale the one previewed ("" the defaults).
	Locales       []localeVersion
	PreviewLocale string
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
			Data: templateData{Template: t, Locales: localeVersions(t)}})
	}
}

// consoleTemplateSave handles POST /admin/email-templates/{id}: with
// preview=1 the form's template is rendered against sample data (nothing
// saved; the tenant's from address), else it is saved through the email
// template API's update (checked the same way): the default-language
// fields and the localized versions (the localized from names are the
// API's), put onto the template as it is now while it has the revision
// the form was opened from (console_revision.go).
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
	// apply puts the form's fields onto a template (the localized from
	// names and the rest stay as they are).
	apply := func(t storage.EmailTemplate) (storage.EmailTemplate, []localeVersion, map[string]string, map[string]string) {
		t.Name, t.DefaultSubject = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("subject")
		t.DefaultHTMLTemplate, t.DefaultTextTemplate = r.PostFormValue("html"), r.PostFormValue("text")
		locales, paths, localeFields := readLocales(r, &t)
		return t, locales, paths, localeFields
	}
	t, locales, paths, localeFields := apply(cur)
	// A preview saves nothing and is shown again with the revision the form
	// was opened from (0 when it is not one), so that its save is checked.
	rev, revOK := formRevision(r)
	t.Revision = rev
	data := templateData{Template: t, Locales: locales, PreviewLocale: r.PostFormValue("previewLocale")}
	p := consolePage{Title: cur.Name, Nav: "templates", Data: data}
	problems := func(inv *manage.Invalid) {
		p.Fields, p.Problem = templateProblems(inv, paths)
		for k, v := range localeFields {
			if p.Fields == nil {
				p.Fields = map[string]string{}
			}
			p.Fields[k] = v
		}
		if len(p.Fields) > 0 && p.Problem == "" {
			p.Problem = "The template has problems; they are shown next to their fields."
		}
	}
	if r.PostFormValue("preview") == "1" {
		tenant, err := s.Manage.Tenants.Get(ctx, manage.Scope{}, manage.DefaultTenantID)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		email, inv := s.Manage.EmailTemplates.Preview(t, data.PreviewLocale, tenant.EmailConfiguration)
		data.Preview = &email
		p.Data = data
		problems(inv)
		s.renderConsolePage(w, r, http.StatusOK, "emailtemplate", p)
		return
	}
	if r.PostFormValue("preview") == "page" {
		s.consoleTemplatePage(w, r, data)
		return
	}
	if !revOK {
		s.templateChanged(w, r, http.StatusBadRequest, cur, badRevision("template"))
		return
	}
	if cur.Revision != rev {
		s.templateChanged(w, r, http.StatusConflict, cur, changedSinceOpened("template"))
		return
	}
	if len(localeFields) > 0 {
		problems(&manage.Invalid{})
		s.renderConsolePage(w, r, http.StatusBadRequest, "emailtemplate", p)
		return
	}
	_, err = s.Manage.EmailTemplates.Update(ctx, cur.ID, func(now storage.EmailTemplate) (storage.EmailTemplate, error) {
		if err := sameRevision(now.Revision, rev); err != nil {
			return now, err
		}
		t, _, _, _ := apply(now)
		return t, nil
	})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		s.templateChanged(w, r, http.StatusConflict, storage.EmailTemplate{}, changedSinceOpened("template"))
	case errors.As(err, &inv):
		problems(inv)
		s.renderConsolePage(w, r, http.StatusBadRequest, "emailtemplate", p)
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/email-templates/"+cur.ID, "saved")
	}
}

// templateChanged answers a form refused for its revision (problem says
// why): nothing saved, the form again with the template's current values
// (cur when already read, else read now).
func (s *Server) templateChanged(w http.ResponseWriter, r *http.Request, status int, cur storage.EmailTemplate, problem string) {
	if cur.ID == "" {
		var err error
		if cur, err = s.Manage.EmailTemplates.Get(r.Context(), r.PathValue("id")); errors.Is(err, manage.ErrNotFound) {
			s.consoleNotFound(w, r, "email template")
			return
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	s.renderConsolePage(w, r, status, "emailtemplate", consolePage{Title: cur.Name, Nav: "templates", Problem: problem,
		Data: templateData{Template: cur, Locales: localeVersions(cur)}})
}

// templateProblems puts each message next to its field (localized is
// readLocales' fields of the localized versions' paths).
func templateProblems(inv *manage.Invalid, localized map[string]string) (map[string]string, string) {
	if inv.Empty() {
		return nil, ""
	}
	fields := map[string]string{}
	var rest []string
	for _, p := range inv.Problems {
		f, ok := templateFields[p.Field]
		if !ok {
			f, ok = localized[p.Field]
		}
		if ok {
			fields[f] = strings.TrimSpace(fields[f] + " " + p.Message)
		} else {
			rest = append(rest, p.Message)
		}
	}
	return fields, strings.Join(rest, " ")
}

// previewCSP is the answer of a preview shown as a page: the template's
// HTML is the admin's (and FusionAuth's default templates'), so it runs in
// a sandbox (an opaque origin: no script, no form, no cookie of this
// origin, no top navigation), loads nothing from anywhere (inline styles and
// data: images only, so a template cannot call out), and cannot be framed.
const previewCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// consoleTemplatePage renders the form's HTML body against sample data and
// answers it as a page of its own under previewCSP (preview=page; the form
// opens it in a new tab). A template that does not render is shown on the
// template page with the message next to its field.
func (s *Server) consoleTemplatePage(w http.ResponseWriter, r *http.Request, data templateData) {
	t := data.Template
	tenant, err := s.Manage.Tenants.Get(r.Context(), manage.Scope{}, manage.DefaultTenantID)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	email, inv := s.Manage.EmailTemplates.Preview(t, data.PreviewLocale, tenant.EmailConfiguration)
	if !inv.Empty() {
		p := consolePage{Title: t.Name, Nav: "templates", Data: data}
		p.Fields, p.Problem = templateProblems(inv, nil)
		s.renderConsolePage(w, r, http.StatusBadRequest, "emailtemplate", p)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", previewCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(email.HTML))
}
