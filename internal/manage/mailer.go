package manage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// mailKind is one email latchkey sends: which template the tenant (and the
// application, which overrides it) names for it, and the default template
// used when neither does. A notification (optional) is sent only when a
// template is named: FusionAuth's notifications are off until configured.
type mailKind struct {
	name     string
	tenant   func(storage.EmailTemplateIDs) string
	app      func(storage.Application) string
	def      string // default template id; the flow cannot work without this mail ("": none, the mail is skipped if its template is unusable)
	optional bool
}

var (
	mailVerification = mailKind{name: "email verification",
		tenant: func(t storage.EmailTemplateIDs) string { return t.VerificationEmailTemplateID },
		app:    func(a storage.Application) string { return a.EmailConfiguration.EmailVerificationEmailTemplateID },
		def:    mail.DefaultEmailVerificationID}
	mailForgotPassword = mailKind{name: "forgot password",
		tenant: func(t storage.EmailTemplateIDs) string { return t.ForgotPasswordEmailTemplateID },
		app:    func(a storage.Application) string { return a.EmailConfiguration.ForgotPasswordEmailTemplateID },
		def:    mail.DefaultForgotPasswordID}
	mailSetPassword = mailKind{name: "set password",
		tenant: func(t storage.EmailTemplateIDs) string { return t.SetPasswordEmailTemplateID },
		app:    func(a storage.Application) string { return a.EmailConfiguration.SetPasswordEmailTemplateID },
		def:    mail.DefaultSetupPasswordID}
	mailPasswordUpdate = mailKind{name: "password update", optional: true,
		tenant: func(t storage.EmailTemplateIDs) string { return t.PasswordUpdateEmailTemplateID },
		app:    func(a storage.Application) string { return a.EmailConfiguration.PasswordUpdateEmailTemplateID },
		def:    mail.DefaultPasswordUpdateID}
	// mailRegistrationVerification: only the application names its template
	// (application.verificationEmailTemplateId; FusionAuth has no tenant one).
	mailRegistrationVerification = mailKind{name: "registration verification",
		tenant: func(storage.EmailTemplateIDs) string { return "" },
		app:    func(a storage.Application) string { return a.VerificationEmailTemplateID },
		def:    mail.DefaultRegistrationVerificationID}
)

// Mailer renders the email a use case causes into an outbox message, which
// the use case stores in the transaction of the change that caused it
// (storage.UserChange.Outbox); the mail worker sends it later, so an SMTP
// failure never fails the API call. Templates are compiled once per
// version and cached.
type Mailer struct {
	Store interface {
		GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error)
	}
	// BaseURL is baseUrl in templates when the flow knows no application
	// with an origin: the server's public URL.
	BaseURL string
	Log     *slog.Logger
	// Notify wakes this node's worker of queue once a message is stored
	// (the app wires it to the outbox workers); nil: the workers poll.
	Notify func(queue string)

	mu       sync.Mutex
	compiled map[string]*mail.Compiled // by id and lastUpdateInstant
}

// MailFor is what a message is about: the tenant, the application when the
// flow knows one (template overrides, baseUrl, application in templates)
// and the recipient.
type MailFor struct {
	Tenant storage.Tenant
	App    *storage.Application
	User   storage.User
}

// message renders k for f.User with the flow's variables vars. ok is false
// when nothing is to be sent: an optional notification the tenant does not
// send, or a user without an email address.
func (m *Mailer) message(ctx context.Context, k mailKind, f MailFor, vars map[string]any, now time.Time) (storage.OutboxMessage, bool, error) {
	id := k.tenant(f.Tenant.EmailConfiguration.EmailTemplateIDs)
	if f.App != nil && k.app(*f.App) != "" {
		id = k.app(*f.App)
	}
	if f.User.Email == "" || (id == "" && k.optional) {
		return storage.OutboxMessage{}, false, nil
	}
	if id == "" {
		id = k.def
	}
	data, err := mail.Data(m.data(f, vars))
	if err != nil {
		return storage.OutboxMessage{}, false, err
	}
	to := mail.Address{Address: f.User.Email, Display: displayName(f.User)}
	cfg := f.Tenant.EmailConfiguration
	c, err := m.template(ctx, id)
	var msg mail.Message
	if err == nil {
		msg, err = c.Compose(cfg, to, data, f.User.PreferredLanguages)
	}
	if err != nil && k.def == "" {
		// A notification of the operator's own template (a consent's) has
		// no shipped template to send instead: it is not sent, and the
		// operator is told.
		m.log().WarnContext(ctx, "email template unusable, not sending", "kind", k.name, "template_id", id, "err", err)
		return storage.OutboxMessage{}, false, nil
	}
	if err != nil {
		// A template that is gone or refers to data this mail lacks must not
		// lose the mail (FreeMarker fails on missing values): the shipped
		// template of the kind goes instead, and the operator is told.
		m.log().WarnContext(ctx, "email template unusable, sending the default", "kind", k.name, "template_id", id, "err", err)
		if c, err = m.builtin(k.def); err == nil {
			msg, err = c.Compose(cfg, to, data, f.User.PreferredLanguages)
		}
		if err != nil {
			return storage.OutboxMessage{}, false, fmt.Errorf("manage: %s mail: %w", k.name, err)
		}
	}
	om, err := mail.OutboxMessage(uuid.NewString(), f.User.TenantID, msg, now)
	return om, err == nil, err
}

// data is what every template sees (accounts spec §7.6): the user (never
// password material: it is not in the user's JSON), the tenant's id and
// name, the application's id, name and client id (never its secret), and
// baseUrl, the origin the links point to.
func (m *Mailer) data(f MailFor, vars map[string]any) map[string]any {
	u := f.User
	u.Registrations = nil
	d := map[string]any{
		"user":    u,
		"tenant":  map[string]any{"id": f.Tenant.ID, "name": f.Tenant.Name},
		"baseUrl": m.baseURL(f.App),
	}
	if a := f.App; a != nil {
		d["application"] = map[string]any{"id": a.ID, "name": a.Name,
			"oauthConfiguration": map[string]any{"clientId": a.OAuthConfiguration.ClientID}}
	}
	for k, v := range vars {
		d[k] = v
	}
	return d
}

// baseURL is where the links of a mail point: the application's first
// authorized origin (the SPA that serves /password/change/{id} and
// /email/verify/{id}), else the server's public URL.
func (m *Mailer) baseURL(app *storage.Application) string {
	if app != nil && len(app.OAuthConfiguration.AuthorizedOriginURLs) > 0 {
		return strings.TrimRight(app.OAuthConfiguration.AuthorizedOriginURLs[0], "/")
	}
	return strings.TrimRight(m.BaseURL, "/")
}

// displayName is the recipient's name: fullName, else first and last.
func displayName(u storage.User) string {
	if u.FullName != "" {
		return u.FullName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// template returns the stored template id compiled, from the cache while
// its lastUpdateInstant is unchanged. A default template that was deleted
// is the shipped one.
func (m *Mailer) template(ctx context.Context, id string) (*mail.Compiled, error) {
	t, err := m.Store.GetEmailTemplate(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return m.builtin(id)
	}
	if err != nil {
		return nil, err
	}
	return m.compile(t)
}

// builtin is the shipped default template id.
func (m *Mailer) builtin(id string) (*mail.Compiled, error) {
	for _, t := range mail.Defaults() {
		if t.ID == id {
			return m.compile(t)
		}
	}
	return nil, fmt.Errorf("email template %s: %w", id, storage.ErrNotFound)
}

func (m *Mailer) compile(t storage.EmailTemplate) (*mail.Compiled, error) {
	key := fmt.Sprintf("%s@%d", t.ID, t.LastUpdateInstant)
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.compiled[key]; ok {
		return c, nil
	}
	c, errs := mail.Compile(t)
	if len(errs) > 0 {
		return nil, fmt.Errorf("email template %s: %s", t.ID, errs[0].Message)
	}
	if m.compiled == nil || len(m.compiled) > 1000 {
		m.compiled = map[string]*mail.Compiled{}
	}
	m.compiled[key] = c
	return c, nil
}

func (m *Mailer) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Log
}

// notify wakes the worker of queue after a commit.
func (m *Mailer) notify(queue string) {
	if m != nil && m.Notify != nil {
		m.Notify(queue)
	}
}
