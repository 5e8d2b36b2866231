package manage

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// RequestParent mails the tenant's family request email (the template
// tenant.familyConfiguration.familyRequestEmailTemplateId names) to
// parentEmail, asking the parent to approve a child (POST
// /api/user/family/request). The tenant is the scope's, else the default
// one. The template sees parentEmail and, when a user of the tenant has
// that email, that user as user. The message is queued in the mail outbox
// before the answer; the mail worker sends it. Refused, with nothing
// queued: a blank or invalid address, families disabled, no template
// configured (FusionAuth answers these two with 200 and sends nothing:
// latchkey says why, docs/compatibility.md), a template that cannot be
// rendered.
func (fs *Families) RequestParent(ctx context.Context, scope Scope, parentEmail string) error {
	parentEmail = strings.ToLower(strings.TrimSpace(parentEmail))
	switch {
	case parentEmail == "":
		return invalid("blank", "parentEmail", "You must specify the [parentEmail] property.")
	case !validEmail(parentEmail):
		return invalid("notEmail", "parentEmail", "The [parentEmail] property is not a valid email address.")
	}
	t, err := fs.Store.GetTenant(ctx, scopeTenant(scope))
	if err != nil {
		return err
	}
	e := &Invalid{}
	if err := fs.enabled(ctx, e, t.ID, func(c storage.TenantFamilyConfiguration) {
		if c.FamilyRequestEmailTemplateID == "" {
			e.General("FamilyRequestEmailTemplateMissing", "The tenant names no family request email template (tenant.familyConfiguration.familyRequestEmailTemplateId).")
		}
	}); err != nil {
		return err
	}
	if err := e.Err(); err != nil {
		return err
	}
	parent, err := fs.Store.FindUser(ctx, storage.UserFilter{TenantID: t.ID, Email: parentEmail})
	hasParent := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	data := fs.Mail.data(MailFor{Tenant: t, User: parent}, map[string]any{"parentEmail": parentEmail})
	if !hasParent {
		delete(data, "user")
	}
	d, err := mail.Data(data)
	if err != nil {
		return err
	}
	const field = "tenant.familyConfiguration.familyRequestEmailTemplateId"
	c, err := fs.Mail.template(ctx, t.Family().FamilyRequestEmailTemplateID)
	if errors.Is(err, storage.ErrNotFound) {
		return invalid("invalid", field, "The family request email template does not exist.")
	}
	if err != nil {
		return invalid("invalid", field, "The family request email template cannot be used: "+truncate(err.Error(), 200))
	}
	msg, err := c.Compose(t.EmailConfiguration, mail.Address{Address: parentEmail}, d, parent.PreferredLanguages)
	if err != nil {
		_, why := renderError(err)
		return invalid("invalid", field, "The family request email template cannot be rendered: "+truncate(why, 200))
	}
	om, err := mail.OutboxMessage(uuid.NewString(), t.ID, msg, fs.Now())
	if err != nil {
		return invalid("invalid", "parentEmail", truncate(err.Error(), 200))
	}
	if err := fs.Store.EnqueueOutbox(ctx, om); err != nil {
		return err
	}
	fs.Mail.notify(mail.Queue)
	return nil
}
