package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The email template API (emails.mdx; accounts spec §7.2). Templates are
// global (FusionAuth: tenant-less), so a tenant-scoped key is refused.

type emailTemplateRequest struct {
	EmailTemplate *storage.EmailTemplate `json:"emailTemplate"`
}

type emailTemplateResponse struct {
	EmailTemplate storage.EmailTemplate `json:"emailTemplate"`
}

// createEmailTemplate handles POST /api/email/template[/{id}]: 200
// {"emailTemplate"}, 400 with FusionAuth's field errors, among them
// [invalidTemplate]emailTemplate.<field> for a template latchkey cannot
// parse or render, saying what and where.
func (s *Server) createEmailTemplate(w http.ResponseWriter, r *http.Request) {
	id, ok := optionalPathID(w, r, "id", "emailTemplateId")
	if !ok {
		return
	}
	var req emailTemplateRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if req.EmailTemplate == nil {
		writeFieldError(w, "missing", "emailTemplate", "You must specify the [emailTemplate] object.")
		return
	}
	t, err := s.Manage.EmailTemplates.Create(r.Context(), id, *req.EmailTemplate)
	s.writeEmailTemplate(w, r, t, err)
}

func (s *Server) writeEmailTemplate(w http.ResponseWriter, r *http.Request, t storage.EmailTemplate, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, emailTemplateResponse{t})
}

// listEmailTemplates handles GET /api/email/template.
func (s *Server) listEmailTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Manage.EmailTemplates.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"emailTemplates": ts})
}

// getEmailTemplate handles GET /api/email/template/{id}: 404 empty when unknown.
func (s *Server) getEmailTemplate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "emailTemplateId")
	if !ok {
		return
	}
	t, err := s.Manage.EmailTemplates.Get(r.Context(), id)
	s.writeEmailTemplate(w, r, t, err)
}

// updateEmailTemplate handles PUT and PATCH /api/email/template/{id}; a
// PATCH merges into the stored template, then both are checked as a create.
func (s *Server) updateEmailTemplate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "emailTemplateId")
	if !ok {
		return
	}
	rewind := replayBody(r)
	t, err := s.Manage.EmailTemplates.Update(r.Context(), id, func(cur storage.EmailTemplate) (storage.EmailTemplate, error) {
		rewind()
		var req emailTemplateRequest
		if err := decodeReplacement(r, emailTemplateResponse{cur}, &req); err != nil {
			return cur, err
		}
		if req.EmailTemplate == nil {
			v := &manage.Invalid{}
			v.Field("missing", "emailTemplate", "You must specify the [emailTemplate] object.")
			return cur, v
		}
		return *req.EmailTemplate, nil
	})
	s.writeEmailTemplate(w, r, t, err)
}

// deleteEmailTemplate handles DELETE /api/email/template/{id}: 200, 404,
// or 400 [inUse]emailTemplateId while a tenant or application names it.
func (s *Server) deleteEmailTemplate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "emailTemplateId")
	if !ok {
		return
	}
	if err := s.Manage.EmailTemplates.Delete(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}

type previewRequest struct {
	EmailTemplate storage.EmailTemplate `json:"emailTemplate"`
	Locale        string                `json:"locale"`
}

type previewResponse struct {
	Email  mail.PreviewEmail `json:"email"`
	Errors *Errors           `json:"errors,omitempty"`
}

// previewEmailTemplate handles POST /api/email/template/preview: the
// template, saved or not, rendered against sample data with the default
// tenant's from address; always 200 when the body decodes, the fields that
// failed listed under errors (FusionAuth's PreviewResponse).
func (s *Server) previewEmailTemplate(w http.ResponseWriter, r *http.Request) {
	var req previewRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	t, err := s.Manage.Tenants.Get(r.Context(), manage.Scope{}, manage.DefaultTenantID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, inv := s.Manage.EmailTemplates.Preview(req.EmailTemplate, req.Locale, t.EmailConfiguration)
	res := previewResponse{Email: p}
	if !inv.Empty() {
		res.Errors = fusionErrors(inv)
	}
	writeJSON(w, http.StatusOK, res)
}
