package manage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// verificationFor is a verificationId for u's address with the mail that
// carries it, ready to be stored with the change that calls for it (a new
// user, a changed address, a resend). With the FormField strategy a
// one-time code goes in the mail (never in an answer without an API key)
// and its hash beside the id; both must be presented.
type verificationFor struct {
	raw, code string
	id        storage.Identifier
	mail      []storage.OutboxMessage
}

// issueVerification prepares u's verification. send=false only for an API
// key's generateEmailVerificationId (no mail).
func (m *Mailer) issueVerification(ctx context.Context, f MailFor, now time.Time, send bool) (verificationFor, error) {
	c := f.Tenant.ExternalIdentifierConfiguration
	spec := verificationSpec{kind: storage.IdentifierEmailVerification, idGen: c.EmailVerificationIDGenerator,
		ttl: c.EmailVerificationIDTimeToLiveInSeconds, mail: mailVerification, data: storage.IdentifierData{Email: f.User.Email}}
	if f.Tenant.EmailConfiguration.VerificationStrategy == "FormField" {
		spec.code = &c.EmailVerificationOneTimeCodeGenerator
	}
	return m.issueWith(ctx, f, now, send, spec)
}

// verificationSpec is what differs between the verifications (an email
// address, a registration): the identifier's kind, generator and lifetime,
// the code generator of the FormField strategy (nil: a link), the mail and
// what the identifier remembers.
type verificationSpec struct {
	kind  string
	idGen storage.SecureGenerator
	ttl   int
	code  *storage.SecureGenerator
	mail  mailKind
	data  storage.IdentifierData
}

// issueWith prepares a verificationId of spec for f.User, with its one-time
// code (hashed beside the id) and, when send, the mail carrying them.
func (m *Mailer) issueWith(ctx context.Context, f MailFor, now time.Time, send bool, spec verificationSpec) (verificationFor, error) {
	data := spec.data
	if f.App != nil {
		data.ApplicationID = f.App.ID
	}
	var v verificationFor
	vars := map[string]any{}
	if spec.code != nil {
		v.code = auth.GenerateIdentifier(*spec.code)
		data.CodeHash = auth.HashIdentifier(auth.NormalizeCode(v.code))
		vars["verificationOneTimeCode"] = v.code
	}
	v.raw, v.id = auth.NewIdentifier(spec.kind, spec.idGen, spec.ttl, f.User, now, data)
	vars["verificationId"] = v.raw
	if !send {
		return v, nil
	}
	msg, ok, err := m.message(ctx, spec.mail, f, vars, now)
	if err != nil {
		return v, err
	}
	if ok {
		v.mail = []storage.OutboxMessage{msg}
	}
	return v, nil
}

// issueSetPassword prepares the changePasswordId a created user sets their
// first password with (sendSetPasswordEmail) and the set password mail
// carrying it, for the create's transaction. The id is the tenant's setup
// password id (its own generator and lifetime, FusionAuth's
// externalIdentifierConfiguration.setupPasswordId*), redeemed like a
// forgot-password one (POST /api/user/change-password/{changePasswordId})
// and bound to the address it was sent to.
func (m *Mailer) issueSetPassword(ctx context.Context, f MailFor, now time.Time) (storage.Identifier, []storage.OutboxMessage, error) {
	c := f.Tenant.ExternalIdentifierConfiguration
	data := storage.IdentifierData{Email: f.User.Email}
	if f.App != nil {
		data.ApplicationID = f.App.ID
	}
	raw, id := auth.NewIdentifier(storage.IdentifierChangePassword, c.SetupPasswordIDGenerator,
		c.SetupPasswordIDTimeToLiveInSeconds, f.User, now, data)
	msg, ok, err := m.message(ctx, mailSetPassword, f, map[string]any{"changePasswordId": raw}, now)
	if err != nil || !ok {
		return id, nil, err
	}
	return id, []storage.OutboxMessage{msg}, nil
}

// needsVerification reports whether the tenant verifies addresses and u
// has one not yet verified (accounts spec §5.3).
func needsVerification(t storage.Tenant, u storage.User) bool {
	return t.EmailConfiguration.VerifyEmail && !u.Verified && u.Email != ""
}
