package mfa

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Mailer sends one templated message through latchkey's mail path (the
// outbox). purpose says which template (MailTwoFactor, MailPasswordless);
// the implementation picks the application's or tenant's template id for
// it, else latchkey's default. data is the template's model.
type Mailer interface {
	SendTemplate(ctx context.Context, tenant storage.Tenant, app storage.Application, purpose string,
		to storage.User, address string, data map[string]any) error
	// ComposeTemplate renders the message SendTemplate would enqueue
	// without storing it (ok false: nothing to send), for a use case that
	// stores it in the transaction of the code it carries
	// (Store.IssueChallenge); Queued then wakes the mail worker.
	ComposeTemplate(ctx context.Context, tenant storage.Tenant, app storage.Application, purpose string,
		to storage.User, address string, data map[string]any) (storage.OutboxMessage, bool, error)
	Queued()
}

// Purposes of Mailer.SendTemplate.
const (
	MailTwoFactor    = "two-factor"
	MailPasswordless = "passwordless"
)

// ErrMailUnavailable: no mail path is configured (the email method and
// passwordless email need one).
var ErrMailUnavailable = errors.New("mfa: mail is not configured")

// SendRequest is POST /api/two-factor/send for enable (Email) or disable
// (MethodID).
type SendRequest struct {
	UserID, Method, Email, MethodID, ApplicationID string
}

// SendMethodCode emails a code proving an address (before enabling the
// email method) or an existing email method (before disabling it).
func (s *Service) SendMethodCode(ctx context.Context, scope manage.Scope, mailer Mailer, req SendRequest) error {
	user, err := s.user(ctx, scope, req.UserID)
	if err != nil {
		return err
	}
	tenant, err := s.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return err
	}
	target, address := "", ""
	switch {
	case req.MethodID != "":
		methods, err := s.Store.ListTwoFactorMethods(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, m := range methods {
			if m.ID == req.MethodID {
				if m.Method != auth.MethodEmail {
					return invalid("cannotSend", "method", "Only the email method is sent a code.")
				}
				target, address = "method:"+m.ID, m.Email
			}
		}
		if target == "" {
			return invalid("invalid", "methodId", "The [methodId] property does not name a two-factor method of the user.")
		}
	case req.Method == auth.MethodEmail:
		if !validEmail(req.Email) {
			return invalid("invalid", "email", "The [email] property is not an email address.")
		}
		if !tenant.MultiFactor().Email.Enabled {
			return invalid("disabled", "method", "The email method is disabled in the tenant's multiFactorConfiguration.")
		}
		target, address = "email:"+req.Email, req.Email
	case req.Method == "":
		return invalid("blank", "method", "You must specify the [method] (email) or the [methodId] property.")
	default:
		return invalid("cannotSend", "method", "Only the email method is sent a code.")
	}
	if mailer == nil {
		return ErrMailUnavailable
	}
	code, err := s.Auth.IssueMethodCode(ctx, user, target)
	if err != nil {
		return err
	}
	return mailer.SendTemplate(ctx, tenant, storage.Application{ID: req.ApplicationID}, MailTwoFactor, user, address,
		map[string]any{"code": code})
}

// consumeEnableCode checks the code emailed to address before an email
// method is added.
func (s *Service) consumeEnableCode(ctx context.Context, user storage.User, address, code string) error {
	ok, err := s.Auth.CheckAddressCode(ctx, user.ID, address, code)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCode
	}
	return nil
}

func validEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && strings.Contains(v, "@") && len(v) <= 320
}

// SendLoginCode is POST /api/two-factor/send/{twoFactorId}: a code for the
// pending login by its email method (methodId, or the only one).
func (s *Service) SendLoginCode(ctx context.Context, mailer Mailer, twoFactorID, methodID string) error {
	if mailer == nil {
		return ErrMailUnavailable
	}
	c, err := s.Auth.LoginCodeFor(ctx, twoFactorID, methodID)
	switch {
	case errors.Is(err, auth.ErrNotMessageMethod):
		return invalid("cannotSend", "method", "Only the email method is sent a code.")
	case errors.Is(err, auth.ErrUnknownMethod):
		return invalid("invalid", "methodId", "The [methodId] property does not name an email method of the user.")
	case err != nil:
		return err
	}
	return mailer.SendTemplate(ctx, c.Tenant, c.App, MailTwoFactor, c.User, c.Address, map[string]any{"code": c.Code})
}
