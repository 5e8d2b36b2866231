package manage

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// EmailTemplatesStore is what EmailTemplates uses.
type EmailTemplatesStore interface {
	storage.EmailTemplateStore
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
}

// EmailTemplates is the email template API (emails.mdx; accounts spec §7).
// Templates are global, as in FusionAuth: no tenant scope.
type EmailTemplates struct {
	Store EmailTemplatesStore
	Now   func() time.Time

	updates recordLocks // Update's, by template id
}

// Create stores a new template after checking it as FusionAuth does: the
// required fields, and every template field parsed and rendered against
// sample data, so a template latchkey cannot render is refused now, with
// the construct and where it is, rather than when a mail is due.
func (et *EmailTemplates) Create(ctx context.Context, id string, t storage.EmailTemplate) (storage.EmailTemplate, error) {
	if id == "" {
		id = newID()
	}
	e := &Invalid{}
	if _, err := et.Store.GetEmailTemplate(ctx, id); err == nil {
		e.Field("duplicate", "emailTemplateId", "An email template with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return t, err
	}
	now := et.Now().UnixMilli()
	t.ID, t.InsertInstant, t.LastUpdateInstant = id, now, now
	checkTemplate(e, t)
	if err := e.Err(); err != nil {
		return t, err
	}
	if err := et.Store.CreateEmailTemplate(ctx, t); errors.Is(err, storage.ErrConflict) {
		return t, invalid("duplicate", "emailTemplate.name", "An email template named ["+truncate(t.Name, 64)+"] already exists.")
	} else if err != nil {
		return t, err
	}
	return t, nil
}

// checkTemplate adds mail.Compile's problems, then the render errors
// against sample data (mail.Preview), in FusionAuth's codes.
func checkTemplate(e *Invalid, t storage.EmailTemplate) {
	if _, errs := mail.Compile(t); len(errs) > 0 {
		addMailErrors(e, errs)
		return
	}
	_, errs := mail.Preview(t, "", storage.EmailConfiguration{DefaultFromEmail: "preview@example.com"})
	addMailErrors(e, errs)
}

// addMailErrors turns internal/mail's field errors ("[kind]field") into
// problems.
func addMailErrors(e *Invalid, errs []mail.FieldError) {
	for _, fe := range errs {
		kind := strings.TrimPrefix(strings.TrimSuffix(fe.Code, fe.Field), "[")
		e.Field(strings.TrimSuffix(kind, "]"), fe.Field, fe.Message)
	}
}

// Get returns one template.
func (et *EmailTemplates) Get(ctx context.Context, id string) (storage.EmailTemplate, error) {
	t, err := et.Store.GetEmailTemplate(ctx, id)
	return t, notFound(err)
}

// List returns every template, by name.
func (et *EmailTemplates) List(ctx context.Context) ([]storage.EmailTemplate, error) {
	return et.Store.ListEmailTemplates(ctx)
}

// Update replaces template id with change's result (a PUT, or a PATCH
// merged into the current template), checked as Create checks. A
// read-modify-write (recordLocks.rewrite): the write holds only while the
// template is as read; change runs once per try.
func (et *EmailTemplates) Update(ctx context.Context, id string, change func(storage.EmailTemplate) (storage.EmailTemplate, error)) (storage.EmailTemplate, error) {
	var t storage.EmailTemplate
	err := et.updates.rewrite(id, func() error {
		cur, err := et.Get(ctx, id)
		if err != nil {
			return err
		}
		if t, err = change(cur); err != nil {
			return err
		}
		t.ID, t.InsertInstant, t.LastUpdateInstant, t.Revision = cur.ID, cur.InsertInstant, et.Now().UnixMilli(), cur.Revision
		e := &Invalid{}
		checkTemplate(e, t)
		if err := e.Err(); err != nil {
			return err
		}
		err = et.Store.UpdateEmailTemplate(ctx, t)
		if errors.Is(err, storage.ErrConflict) {
			return invalid("duplicate", "emailTemplate.name", "An email template named ["+truncate(t.Name, 64)+"] already exists.")
		}
		return notFound(err)
	})
	return t, err
}

// Delete removes a template no tenant or application names; one in use is
// refused with [inUse]emailTemplateId, which says where it is used.
func (et *EmailTemplates) Delete(ctx context.Context, id string) error {
	if _, err := et.Get(ctx, id); err != nil {
		return err
	}
	where, err := et.usedBy(ctx, id)
	if err != nil {
		return err
	}
	if where != "" {
		return invalid("inUse", "emailTemplateId", "The email template is used by "+where+"; point it elsewhere first.")
	}
	return notFound(et.Store.DeleteEmailTemplate(ctx, id))
}

// usedBy names the first tenant or application whose configuration names
// template id, or "".
func (et *EmailTemplates) usedBy(ctx context.Context, id string) (string, error) {
	tenants, err := et.Store.ListTenants(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range tenants {
		ids := t.EmailConfiguration.EmailTemplateIDs
		for _, v := range []string{ids.VerificationEmailTemplateID, ids.EmailVerifiedEmailTemplateID, ids.ForgotPasswordEmailTemplateID,
			ids.SetPasswordEmailTemplateID, ids.PasswordlessEmailTemplateID, ids.PasswordUpdateEmailTemplateID,
			ids.PasswordResetSuccessEmailTemplateID, ids.TwoFactorMethodAddEmailTemplateID, ids.TwoFactorMethodRemoveEmailTemplateID,
			ids.EmailUpdateEmailTemplateID, t.PasswordValidationRules.BreachDetection.NotifyUserEmailTemplateID} {
			if v == id {
				return "tenant [" + t.ID + "]", nil
			}
		}
	}
	for _, inactive := range []bool{false, true} {
		apps, err := et.Store.ListApplications(ctx, inactive)
		if err != nil {
			return "", err
		}
		for _, a := range apps {
			c := a.EmailConfiguration
			for _, v := range []string{c.EmailVerificationEmailTemplateID, c.EmailVerifiedEmailTemplateID, c.ForgotPasswordEmailTemplateID,
				c.SetPasswordEmailTemplateID, c.PasswordlessEmailTemplateID, c.PasswordUpdateEmailTemplateID, c.PasswordResetSuccessEmailTemplateID,
				a.VerificationEmailTemplateID} {
				if v == id {
					return "application [" + a.ID + "]", nil
				}
			}
		}
	}
	return "", nil
}

// Preview renders t (unsaved, maybe incomplete) against sample data in
// locale with the tenant's from address, as FusionAuth's preview does: the
// fields that render are filled, the others are field errors.
func (et *EmailTemplates) Preview(t storage.EmailTemplate, locale string, cfg storage.EmailConfiguration) (mail.PreviewEmail, *Invalid) {
	p, errs := mail.Preview(t, locale, cfg)
	e := &Invalid{}
	addMailErrors(e, errs)
	return p, e
}

// SeedEmailTemplates stores every shipped template that is missing (by its
// fixed id), so an operator sees and can edit them; N nodes seeding at
// once conflict harmlessly.
func SeedEmailTemplates(ctx context.Context, st storage.EmailTemplateStore, now time.Time) error {
	for _, t := range mail.Defaults() {
		if _, err := st.GetEmailTemplate(ctx, t.ID); !errors.Is(err, storage.ErrNotFound) {
			if err != nil {
				return err
			}
			continue
		}
		t.InsertInstant, t.LastUpdateInstant = now.UnixMilli(), now.UnixMilli()
		if err := st.CreateEmailTemplate(ctx, t); err != nil && !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return nil
}
