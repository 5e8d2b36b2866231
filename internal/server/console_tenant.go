package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// tenantForm is the default tenant's password rules and lockout, as typed.
type tenantForm struct {
	Tenant                               storage.Tenant
	MinLength, MaxLength                 string
	MixedCase, NonAlpha, Number, OnLogin bool
	LockoutEnabled                       bool
	Attempts, ResetSeconds, Duration     string
	DurationUnit                         string
	Units                                []string
	// Email is the SMTP form (console_tenant_email.go).
	Email emailForm
}

func newTenantForm(t storage.Tenant) tenantForm {
	p, f := t.PasswordValidationRules, t.FailedAuthenticationConfiguration
	return tenantForm{Tenant: t, MinLength: strconv.Itoa(p.MinLength), MaxLength: strconv.Itoa(p.MaxLength),
		MixedCase: p.RequireMixedCase, NonAlpha: p.RequireNonAlpha, Number: p.RequireNumber, OnLogin: p.ValidateOnLogin,
		LockoutEnabled: f.Enabled, Attempts: strconv.Itoa(f.TooManyAttempts), ResetSeconds: strconv.Itoa(f.ResetCountInSeconds),
		Duration: strconv.Itoa(f.ActionDuration), DurationUnit: f.ActionDurationUnit, Email: newEmailForm(t.EmailConfiguration)}
}

// tenantFields maps the tenant API's field names to the form's.
var tenantFields = map[string]string{
	"minLength": "minLength", "maxLength": "maxLength", "tooManyAttempts": "attempts",
	"resetCountInSeconds": "resetSeconds", "actionDuration": "duration", "actionDurationUnit": "durationUnit",
}

// consoleTenant serves GET /admin/tenant: the default tenant's password
// rules and failed-login lockout, editable.
func (s *Server) consoleTenant(w http.ResponseWriter, r *http.Request) {
	t, err := s.Manage.Tenants.Get(r.Context(), manage.Scope{}, manage.DefaultTenantID)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	notice := map[string]string{"saved": "Saved. New passwords and the next failed logins follow these rules.",
		"email": "The email settings are saved; the next mail uses them."}[r.URL.Query().Get("done")]
	s.renderTenant(w, r, http.StatusOK, newTenantForm(t), consolePage{Notice: notice})
}

func (s *Server) renderTenant(w http.ResponseWriter, r *http.Request, status int, f tenantForm, p consolePage) {
	f.Units = []string{"MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "YEARS"}
	f.Email.Securities = smtpSecurities
	p.Title, p.Nav, p.Data = "Tenant settings", "tenant", f
	s.renderConsolePage(w, r, status, "tenant", p)
}

// consoleTenantSave handles POST /admin/tenant through the tenant API's
// update (its validation, audit entry and every node's cache): the form's
// fields onto the tenant as it is now, while it has the revision the page
// was opened from (console_revision.go).
func (s *Server) consoleTenantSave(w http.ResponseWriter, r *http.Request) {
	on := func(name string) bool { return r.PostFormValue(name) == "on" }
	f := tenantForm{MinLength: r.PostFormValue("minLength"), MaxLength: r.PostFormValue("maxLength"),
		MixedCase: on("mixedCase"), NonAlpha: on("nonAlpha"), Number: on("number"), OnLogin: on("onLogin"),
		LockoutEnabled: on("lockout"), Attempts: r.PostFormValue("attempts"), ResetSeconds: r.PostFormValue("resetSeconds"),
		Duration: r.PostFormValue("duration"), DurationUnit: r.PostFormValue("durationUnit")}
	fields := map[string]string{}
	num := func(name, v string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			fields[name] = "Enter a whole number."
		}
		return n
	}
	minLen, maxLen := num("minLength", f.MinLength), num("maxLength", f.MaxLength)
	attempts, reset, duration := num("attempts", f.Attempts), num("resetSeconds", f.ResetSeconds), num("duration", f.Duration)
	cur, ok := s.tenantAsOpened(w, r)
	if !ok {
		return
	}
	f.Tenant, f.Email = cur, newEmailForm(cur.EmailConfiguration)
	if len(fields) > 0 {
		s.renderTenant(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: "Some settings need fixing."})
		return
	}
	_, err := s.Manage.Tenants.Update(r.Context(), manage.Scope{}, cur.ID, func(t storage.Tenant) (storage.Tenant, error) {
		if err := sameRevision(t.Revision, cur.Revision); err != nil {
			return t, err
		}
		p, l := &t.PasswordValidationRules, &t.FailedAuthenticationConfiguration
		p.MinLength, p.MaxLength, p.RequireMixedCase, p.RequireNonAlpha, p.RequireNumber, p.ValidateOnLogin =
			minLen, maxLen, f.MixedCase, f.NonAlpha, f.Number, f.OnLogin
		l.Enabled, l.TooManyAttempts, l.ResetCountInSeconds, l.ActionDuration, l.ActionDurationUnit =
			f.LockoutEnabled, attempts, reset, duration, f.DurationUnit
		return t, nil
	})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		s.tenantChanged(w, r)
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			if ff, ok := tenantFields[p.Field[strings.LastIndex(p.Field, ".")+1:]]; ok {
				fields[ff] = p.Message
			}
		}
		s.renderTenant(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/tenant", "saved")
	}
}

// tenantChanged answers a tenant form whose revision is no longer the
// tenant's: nothing saved, 409, the page with the current values.
func (s *Server) tenantChanged(w http.ResponseWriter, r *http.Request) {
	cur, err := s.Manage.Tenants.Get(r.Context(), manage.Scope{}, manage.DefaultTenantID)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderTenant(w, r, http.StatusConflict, newTenantForm(cur), consolePage{Problem: changedSinceOpened("tenant")})
}

// tenantAsOpened reads the default tenant for a save by one of the tenant
// page's forms: false, with the page answered, when it cannot be read, the
// form's revision is malformed (400) or the tenant changed since the page
// was opened (409, its current values shown).
func (s *Server) tenantAsOpened(w http.ResponseWriter, r *http.Request) (storage.Tenant, bool) {
	cur, err := s.Manage.Tenants.Get(r.Context(), manage.Scope{}, manage.DefaultTenantID)
	if err != nil {
		s.consoleError(w, r, err)
		return cur, false
	}
	rev, ok := formRevision(r)
	if !ok {
		s.renderTenant(w, r, http.StatusBadRequest, newTenantForm(cur), consolePage{Problem: badRevision("tenant")})
		return cur, false
	}
	if cur.Revision != rev {
		s.renderTenant(w, r, http.StatusConflict, newTenantForm(cur), consolePage{Problem: changedSinceOpened("tenant")})
		return cur, false
	}
	return cur, true
}
