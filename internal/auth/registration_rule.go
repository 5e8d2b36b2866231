package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// WithheldRegistrationUnverified: 213, the user's registration for an
// application with verifyRegistration is not verified (login.mdx,
// _login-response-codes.mdx). It is FusionAuth's last outcome, after 212.
const WithheldRegistrationUnverified = "registration-not-verified"

// unverifiedRegistration is the 213 rule. Unlike the rules of loginRules it
// is decided from the registration, which a login reads anyway when it
// plans its write (planLogin): an application that does not verify
// registrations costs no query, and one that does costs none more. The
// credential has been checked by then and nothing is written yet.
// FusionAuth's 213 carries tokens; latchkey issues none, as with a gated
// 212: an unverified registration is one whose owner did not prove the
// address yet (docs/compatibility.md).
func unverifiedRegistration(app storage.Application, reg *storage.Registration) bool {
	return app.VerifyRegistration && reg != nil && !reg.Verified
}

// withholdRegistration answers 213 for the login of user. Its charge stays
// with the caller, which gives the reservation back as for any login with a
// right credential that ended without tokens.
func (s *Service) withholdRegistration(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, reg storage.Registration, now time.Time) error {
	rule := loginRule{kind: WithheldRegistrationUnverified, finish: func(ctx context.Context, s *Service, f loginFacts, w *Withheld) error {
		return issueRegistrationFormField(ctx, s, f, reg, w)
	}}
	w := &Withheld{Kind: rule.kind, User: user}
	return s.withhold(ctx, loginFacts{req: req, tenant: tenant, app: app, user: user, now: now}, &rule, w, charge{})
}

// issueRegistrationFormField gives a 213 of the FormField strategy a fresh
// registrationVerificationId whose code goes to the user's address; with
// the link strategy (or without the account flows) the answer has none.
func issueRegistrationFormField(ctx context.Context, s *Service, f loginFacts, reg storage.Registration, w *Withheld) error {
	if s.verifier == nil || f.app.VerificationStrategy != "FormField" {
		return nil
	}
	id, err := s.verifier.IssueLoginRegistrationVerification(ctx, f.tenant, f.app, f.user, reg)
	if err != nil {
		return fmt.Errorf("auth: registration verification for a 213: %w", err)
	}
	w.RegistrationVerificationID = id
	return nil
}
