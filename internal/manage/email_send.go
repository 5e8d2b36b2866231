package manage

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/mail"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The bounds of one send (docs/api.md, "Limits"): every recipient is a
// message rendered and stored in the request, and every copy address is a
// recipient of each of them, so a request cannot queue more than
// MaxSendRecipients × (1 + MaxSendCopies) deliveries.
const (
	// MaxSendRecipients bounds userIds and toAddresses together.
	MaxSendRecipients = 100
	// MaxSendCopies bounds ccAddresses and bccAddresses together.
	MaxSendCopies = 10
)

// EmailSendStore is what EmailSend uses.
type EmailSendStore interface {
	GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	GetApplication(ctx context.Context, id string) (storage.Application, error)
	EnqueueOutboxAudited(ctx context.Context, msgs []storage.OutboxMessage, audit ...storage.AuditEntry) error
}

// EmailSend mails a stored template to users and addresses (emails.mdx
// "Send an Email", POST /api/email/send/{emailTemplateId}).
type EmailSend struct {
	Store EmailSendStore
	Mail  *Mailer
	Now   func() time.Time
}

// SendRequest is FusionAuth's SendRequest.
type SendRequest struct {
	ApplicationID      string         `json:"applicationId"`
	BCCAddresses       []string       `json:"bccAddresses"`
	CCAddresses        []string       `json:"ccAddresses"`
	PreferredLanguages []string       `json:"preferredLanguages"`
	RequestData        map[string]any `json:"requestData"`
	ToAddresses        []mail.Address `json:"toAddresses"`
	UserIDs            []string       `json:"userIds"`
}

// TemplateErrors is FusionAuth's EmailTemplateErrors: what failed for one
// recipient, keyed by the part of the email (from, subject, html, text).
type TemplateErrors struct {
	ParseErrors  map[string]string `json:"parseErrors,omitempty"`
	RenderErrors map[string]string `json:"renderErrors,omitempty"`
}

// SendResponse is FusionAuth's SendResponse: only the recipients whose
// email could not be made, by user id and by address; {} when every
// message was queued.
type SendResponse struct {
	AnonymousResults map[string]TemplateErrors `json:"anonymousResults,omitempty"`
	Results          map[string]TemplateErrors `json:"results,omitempty"`
}

// Send renders template id for every recipient of req and stores the
// messages in the outbox in one transaction, so an answer means every
// message that is not in the response is queued (and survives a restart);
// the mail worker sends them. Users are those of scope (another tenant's
// user is refused as an unknown one); an address is mailed in the scope's
// tenant, else the default tenant. Refused as a whole, with nothing
// queued: an unknown template or application, an unknown user, an
// address that is not one bare address, no recipient, or more than the
// limits. A template that fails for one recipient is reported for that
// recipient and the others are sent, as FusionAuth does.
func (es *EmailSend) Send(ctx context.Context, scope Scope, templateID string, req SendRequest) (SendResponse, error) {
	e := &Invalid{}
	checkSendAddresses(e, req)
	if len(req.UserIDs)+len(req.ToAddresses) > MaxSendRecipients {
		return SendResponse{}, e.Err() // before any lookup: a request reads at most MaxSendRecipients users
	}
	c, parseErrs, err := es.template(ctx, e, templateID)
	if err != nil {
		return SendResponse{}, err
	}
	var app *storage.Application
	if req.ApplicationID != "" {
		a, err := storage.Application{}, ErrNotFound
		if ValidID(req.ApplicationID) {
			a, err = scopedGet(ctx, es.Store.GetApplication, strings.ToLower(req.ApplicationID), scope, func(a storage.Application) string { return a.TenantID })
		}
		switch {
		case errors.Is(err, ErrNotFound):
			e.Field("invalid", "applicationId", "No application exists with Id ["+truncate(req.ApplicationID, 64)+"].")
		case err != nil:
			return SendResponse{}, err
		default:
			app = &a
		}
	}
	users, err := es.users(ctx, e, scope, req.UserIDs)
	if err != nil {
		return SendResponse{}, err
	}
	if err := e.Err(); err != nil {
		return SendResponse{}, err
	}

	b := &sendBatch{es: es, req: req, c: c, parseErrs: parseErrs, app: app, tenants: map[string]storage.Tenant{}, now: es.Now()}
	var res SendResponse
	for _, u := range users {
		if u.Email == "" {
			res.addResult(u.ID, TemplateErrors{RenderErrors: map[string]string{"to": "The user has no email address."}})
			continue
		}
		te, ok, err := b.add(ctx, u.TenantID, mail.Address{Address: u.Email, Display: displayName(u)}, &u, u.PreferredLanguages)
		if err != nil {
			return SendResponse{}, err
		}
		if !ok {
			res.addResult(u.ID, te)
		}
	}
	tenantID := scope.TenantID
	if tenantID == "" {
		tenantID = DefaultTenantID
	}
	for _, to := range dedupeAddresses(req.ToAddresses) {
		te, ok, err := b.add(ctx, tenantID, to, nil, req.PreferredLanguages)
		if err != nil {
			return SendResponse{}, err
		}
		if !ok {
			if res.AnonymousResults == nil {
				res.AnonymousResults = map[string]TemplateErrors{}
			}
			res.AnonymousResults[to.Address] = te
		}
	}
	// One audit entry per accepted send, in the messages' transaction (so
	// a send is audited exactly when it is queued): the caller, the
	// template, how many messages were queued, and the recipients as user
	// ids and a count of addresses; never a rendered message.
	userIDs := make([]string, 0, len(users))
	for _, u := range users {
		userIDs = append(userIDs, u.ID)
	}
	tid := strings.ToLower(templateID)
	entry := audit(ctx, b.now, scope.TenantID, "Sent the email template with Id ["+tid+"] ("+itoa(len(b.msgs))+" messages queued)", nil,
		map[string]any{"emailTemplateId": tid, "queued": len(b.msgs), "userIds": userIDs, "toAddresses": len(dedupeAddresses(req.ToAddresses))})
	if err := es.Store.EnqueueOutboxAudited(ctx, b.msgs, entry); err != nil {
		return SendResponse{}, err
	}
	if len(b.msgs) > 0 {
		es.Mail.notify(mail.Queue)
	}
	return res, nil
}

// sendBatch collects the messages of one send.
type sendBatch struct {
	es        *EmailSend
	req       SendRequest
	c         *mail.Compiled
	parseErrs map[string]string // the stored template does not parse: nothing can be sent
	app       *storage.Application
	tenants   map[string]storage.Tenant // read once per send
	now       time.Time
	msgs      []storage.OutboxMessage
}

// add renders the message to one recipient (user nil for an address
// without one) in tenantID and collects it; ok false and the errors when
// the template cannot be rendered for this recipient.
func (b *sendBatch) add(ctx context.Context, tenantID string, to mail.Address, user *storage.User, langs []string) (TemplateErrors, bool, error) {
	if b.parseErrs != nil {
		return TemplateErrors{ParseErrors: b.parseErrs}, false, nil
	}
	tn, ok := b.tenants[tenantID]
	if !ok {
		t, err := b.es.Store.GetTenant(ctx, tenantID)
		if err != nil {
			return TemplateErrors{}, false, err
		}
		tn, b.tenants[tenantID] = t, t
	}
	f := MailFor{Tenant: tn, App: b.app}
	if user != nil {
		f.User = *user
	}
	vars := map[string]any{"requestData": b.req.RequestData}
	if b.req.RequestData == nil {
		vars["requestData"] = map[string]any{}
	}
	data := b.es.Mail.data(f, vars)
	if user == nil {
		delete(data, "user") // FusionAuth renders toAddresses without a user
	}
	d, err := mail.Data(data)
	if err != nil {
		return TemplateErrors{}, false, err
	}
	m, err := b.c.Compose(tn.EmailConfiguration, to, d, langs)
	if err != nil {
		part, msg := renderError(err)
		return TemplateErrors{RenderErrors: map[string]string{part: msg}}, false, nil
	}
	m.Cc, m.Bcc = b.req.CCAddresses, b.req.BCCAddresses
	om, err := mail.OutboxMessage(uuid.NewString(), tenantID, m, b.now)
	if err != nil {
		return TemplateErrors{RenderErrors: map[string]string{"to": err.Error()}}, false, nil
	}
	b.msgs = append(b.msgs, om)
	return TemplateErrors{}, true, nil
}

func (r *SendResponse) addResult(userID string, te TemplateErrors) {
	if r.Results == nil {
		r.Results = map[string]TemplateErrors{}
	}
	r.Results[userID] = te
}

// template is the compiled template id; a template stored before latchkey
// could parse it comes back as parseErrors for every recipient. An unknown
// id is a problem in e.
func (es *EmailSend) template(ctx context.Context, e *Invalid, id string) (*mail.Compiled, map[string]string, error) {
	t, err := storage.EmailTemplate{}, storage.ErrNotFound
	if ValidID(id) {
		t, err = es.Store.GetEmailTemplate(ctx, strings.ToLower(id))
	}
	if errors.Is(err, storage.ErrNotFound) {
		// A shipped template an operator deleted is still the shipped one,
		// as for latchkey's own mail (Mailer.template).
		for _, d := range mail.Defaults() {
			if d.ID == strings.ToLower(id) {
				t, err = d, nil
			}
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		e.Field("invalid", "emailTemplateId", "No email template exists with Id ["+truncate(id, 64)+"].")
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c, errs := mail.Compile(t)
	if len(errs) == 0 {
		return c, nil, nil
	}
	parse := map[string]string{}
	for _, fe := range errs {
		part, _ := renderError(&mail.FieldRenderError{Field: fe.Field})
		parse[part] = fe.Message
	}
	return nil, parse, nil
}

// users reads the users ids name, once each, in the order given; an
// unknown one, or one outside scope, is a problem in e.
func (es *EmailSend) users(ctx context.Context, e *Invalid, scope Scope, ids []string) ([]storage.User, error) {
	var out []storage.User
	seen := map[string]bool{}
	for _, id := range ids {
		lid := strings.ToLower(id)
		if seen[lid] {
			continue
		}
		seen[lid] = true
		if !ValidID(id) {
			e.Field("invalid", "userIds", "No user exists with Id ["+truncate(id, 64)+"].")
			continue
		}
		u, err := scopedGet(ctx, es.Store.GetUser, lid, scope, userTenant)
		switch {
		case errors.Is(err, ErrNotFound):
			e.Field("invalid", "userIds", "No user exists with Id ["+truncate(id, 64)+"].")
		case err != nil:
			return nil, err
		default:
			out = append(out, u)
		}
	}
	return out, nil
}

// checkSendAddresses checks the recipients and copies of req: at least
// one recipient, the limits, and every address one bare address (nothing
// that could add a recipient or a header). A display name is made one line
// when the message is composed.
func checkSendAddresses(e *Invalid, req SendRequest) {
	switch n := len(req.UserIDs) + len(req.ToAddresses); {
	case n == 0:
		e.Field("missing", "userIds", "You must specify either the [userIds] or the [toAddresses] property.")
	case n > MaxSendRecipients:
		e.Field("tooMany", "userIds", "A send names at most "+itoa(MaxSendRecipients)+" recipients in [userIds] and [toAddresses] together.")
	}
	if len(req.CCAddresses)+len(req.BCCAddresses) > MaxSendCopies {
		e.Field("tooMany", "ccAddresses", "A send names at most "+itoa(MaxSendCopies)+" addresses in [ccAddresses] and [bccAddresses] together.")
	}
	for i, to := range req.ToAddresses {
		f := "toAddresses[" + itoa(i) + "].address"
		switch {
		case strings.TrimSpace(to.Address) == "":
			e.Field("blank", f, "You must specify the [address] of each of the [toAddresses].")
		case !mail.IsAddress(to.Address):
			e.Field("invalid", f, "The value ["+truncate(to.Address, 64)+"] is not an email address.")
		}
	}
	for _, l := range []struct {
		name  string
		addrs []string
	}{{"ccAddresses", req.CCAddresses}, {"bccAddresses", req.BCCAddresses}} {
		for i, a := range l.addrs {
			if !mail.IsAddress(a) {
				e.Field("invalid", l.name+"["+itoa(i)+"]", "The value ["+truncate(a, 64)+"] is not an email address.")
			}
		}
	}
}

// dedupeAddresses drops a repeated address (any case): results are keyed
// by address, and one address gets one message.
func dedupeAddresses(in []mail.Address) []mail.Address {
	var out []mail.Address
	seen := map[string]bool{}
	for _, a := range in {
		if k := strings.ToLower(a.Address); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// renderError is FusionAuth's key for the part of an email an error is
// about (emails.mdx: "the field that failed (i.e. from)"), from, subject,
// html or text, and what failed there (line, column, what is missing);
// from for an error that is not a template field's (no from address).
func renderError(err error) (part, msg string) {
	var fe *mail.FieldRenderError
	if !errors.As(err, &fe) {
		return "from", err.Error()
	}
	if fe.Err != nil {
		msg = fe.Err.Error()
	}
	switch f := fe.Field; {
	case strings.Contains(f, "Subject"):
		return "subject", msg
	case strings.Contains(f, "Html"):
		return "html", msg
	case strings.Contains(f, "Text"):
		return "text", msg
	default:
		return "from", msg
	}
}
