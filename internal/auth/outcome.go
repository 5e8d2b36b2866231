package auth

// Login outcomes other than tokens.
//
// After the password verifies, a login may still end without tokens, with a
// FusionAuth status of its own (login.mdx, _login-response-codes.mdx):
//
//	203  the password must be changed (changePasswordId, changePasswordReason)
//	212  the email address is not verified and the tenant gates unverified users
//	213  the registration is not verified (registration_rule.go)
//	242  a second factor is needed (issue 10)
//	409  a user action prevents login (issue 12)
//
// Each is a *Withheld error; the HTTP layer maps its Kind to the status and
// body in its one error table (server.writeError; the password grant's in
// writeGrantError). Every outcome is decided by a rule of loginRules BEFORE
// anything is written: from the user, tenant and application (and the
// typed password, for the password rules) as Login has them before the
// hash. A login that will be withheld therefore never writes a refresh token or
// lastLoginInstant; it checks the password first (login_verify.go), so a
// wrong password on such an account is refused exactly like any other
// failure — one hash, one failure counted, the same empty 404 — and the
// outcome is told only to someone who knows the password. Only then does the
// rule's finish run, to issue what the answer carries (a changePasswordId).
//
// To add an outcome:
//  1. add a Kind constant below and the fields its answer needs to Withheld;
//  2. add a loginRule to loginRules at its place in FusionAuth's order
//     (observed in BaseLoginAction: 409 user action, 242 two-factor, 203
//     change password, ..., 212 unverified); check must not write, finish
//     may (it runs only after the password verified);
//  3. map the Kind in internal/server (withheldAnswer in login_withheld.go,
//     and writeGrantError for the password grant);
//  4. test that the outcome answers without tokens and writes no refresh
//     token, and that a wrong password on such an account is refused like
//     any other (login_outcome_test.go shows both).

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Kinds of Withheld, named after FusionAuth's login result codes.
const (
	// WithheldChangePassword: 203, the password must be changed first.
	WithheldChangePassword = "change-password"
	// WithheldEmailUnverified: 212, the email address is not verified and
	// emailConfiguration.unverified.behavior is Gated.
	WithheldEmailUnverified = "identity-not-verified"
	// WithheldLoginPrevented: 409, a user action in force prevents the
	// login (prevented.go).
	WithheldLoginPrevented = "login-prevented"
	// WithheldTwoFactor: 242, the first factor was right and a second is
	// needed (twofactor_rule.go).
	WithheldTwoFactor = "two-factor-challenge"
)

// Withheld is a login whose password verified but that ends without tokens.
// Its fields are those its Kind's answer carries.
type Withheld struct {
	Kind string
	// User is the user who logged in (212 answers with it).
	User storage.User
	// ChangePasswordID and ChangePasswordReason (Administrative, Breached,
	// Expired, Validation) are the 203 answer; the id is used with POST
	// /api/user/change-password.
	ChangePasswordID, ChangePasswordReason string
	// EmailVerificationID is set on 212 when the tenant's verification
	// strategy is FormField: a fresh id whose code was just mailed.
	EmailVerificationID string
	// RegistrationVerificationID is set on 213 when the application's
	// verification strategy is FormField (registration_rule.go).
	RegistrationVerificationID string
	// TwoFactorID and Methods are the 242 answer: the pending login's id
	// for POST /api/two-factor/login and the user's methods (no secrets).
	TwoFactorID string
	Methods     []storage.TwoFactorMethod
	// Actions are the user actions that prevent the login (409).
	Actions []storage.UserActionLog
}

func (w *Withheld) Error() string { return "auth: login withheld: " + w.Kind }

// loginFacts is what a rule decides from: everything Login knows before it
// checks the password.
type loginFacts struct {
	req    LoginRequest
	tenant storage.Tenant
	app    storage.Application
	user   storage.User
	now    time.Time
	// Second factors (twofactor_rule.go): twoFactor are the methods to ask
	// for (none when the policy, a trusted device or the credential itself
	// spares the user); secondFactorDone after POST /api/two-factor/login.
	twoFactor        []storage.TwoFactorMethod
	secondFactorDone bool
	// withoutPassword: the credential was not a typed password (a second
	// step, a passkey, a passwordless code), so the rules that judge the
	// password itself use passwordReason, what they found when it was typed.
	withoutPassword bool
	passwordReason  string
	// preventions are the user's actions in force that prevent login (to
	// any application; the rule picks this login's).
	preventions []storage.UserActionLog
}

// federated: the first factor was an identity provider's (IssueFederated,
// the second step of one, or that of a single sign-on session one
// started: the pending login and the session keep its authenticationType,
// not its provider).
func (f loginFacts) federated() bool { return f.req.authType == authOpenIDConnect }

// loginRule is one outcome. check must not write; finish, when set, runs
// once the password verified and fills in what the answer carries.
type loginRule struct {
	kind   string
	check  func(f loginFacts) *Withheld
	finish func(ctx context.Context, s *Service, f loginFacts, w *Withheld) error
}

// loginRules are the outcomes in FusionAuth's order; the first that holds
// is the answer. Issue 12 adds the user-action rule (409) first, issue 10
// the two-factor rule (242) before change-password.
var loginRules = []loginRule{
	{kind: WithheldLoginPrevented, check: preventedByAction},
	{kind: WithheldTwoFactor, check: needsSecondFactor, finish: startSecondFactor},
	{kind: WithheldChangePassword, check: mustChangePassword, finish: issueChangePasswordID},
	{kind: WithheldEmailUnverified, check: unverifiedGated, finish: issueFormFieldVerification},
}

// withheld returns the first outcome that holds for f, or nil.
func withheld(f loginFacts) (*loginRule, *Withheld) {
	for i := range loginRules {
		if w := loginRules[i].check(f); w != nil {
			w.Kind, w.User = loginRules[i].kind, f.user
			return &loginRules[i], w
		}
	}
	return nil, nil
}

// mustChangePassword is 203 (accounts spec §9.4): an administrator asked
// for it (user.passwordChangeRequired), the password is older than
// maximumPasswordAge, it fails the rules with validateOnLogin, or breach
// detection requires a change for a common password. A federated login
// of a user without a password (one its identity provider created) is
// never 203: there is no password to change, and FusionAuth keeps no
// passwordChangeRequired on such a user (docs/compatibility.md).
func mustChangePassword(f loginFacts) *Withheld {
	if f.federated() && f.user.Password.Hash == "" {
		return nil
	}
	if f.user.PasswordChangeRequired {
		return &Withheld{ChangePasswordReason: password.ReasonAdministrative}
	}
	var last time.Time
	if f.user.PasswordLastUpdateInstant != 0 {
		last = time.UnixMilli(f.user.PasswordLastUpdateInstant)
	}
	if f.withoutPassword {
		switch {
		case f.passwordReason != "":
			return &Withheld{ChangePasswordReason: f.passwordReason}
		case password.TenantMaximumAge(f.tenant).Expired(last, f.now):
			return &Withheld{ChangePasswordReason: password.ReasonExpired}
		}
		return nil
	}
	reason := password.TenantRules(f.tenant).AtLogin(f.req.Password, password.UserLoginIDs(f.user),
		password.TenantMaximumAge(f.tenant), last, f.now)
	if reason == "" {
		return nil
	}
	return &Withheld{ChangePasswordReason: reason}
}

// issueChangePasswordID stores the changePasswordId of a 203, living
// externalIdentifierConfiguration.changePasswordIdTimeToLiveInSeconds, and
// (the lockout refund was made by withhold).
func issueChangePasswordID(ctx context.Context, s *Service, f loginFacts, w *Withheld) error {
	c := f.tenant.ExternalIdentifierConfiguration
	raw, id := NewIdentifier(storage.IdentifierChangePassword, c.ChangePasswordIDGenerator, c.ChangePasswordIDTimeToLiveInSeconds,
		f.user, f.now, storage.IdentifierData{ApplicationID: f.app.ID, Reason: w.ChangePasswordReason})
	if err := s.cfg.Store.ChangeUser(ctx, storage.UserChange{UserID: f.user.ID, Now: f.now,
		Issue: []storage.Identifier{id}}); err != nil {
		return fmt.Errorf("auth: store changePasswordId: %w", err)
	}
	w.ChangePasswordID = raw
	return nil
}

// unverifiedGated is 212 as latchkey answers it (accounts spec §5.4): the
// tenant verifies email addresses and gates unverified users, and this
// user's address is not verified. FusionAuth attaches tokens to a 212;
// with Gated latchkey issues none (docs/compatibility.md).
func unverifiedGated(f loginFacts) *Withheld {
	e := f.tenant.EmailConfiguration
	if !e.VerifyEmail || e.Unverified.Behavior != "Gated" || f.user.Verified || f.user.Email == "" {
		return nil
	}
	return &Withheld{}
}

// issueFormFieldVerification gives a 212 of the FormField strategy a
// fresh emailVerificationId, whose code goes to the user's address (the
// form asks for both; accounts spec §5.4). The mail is the account flows'
// (Config.Verifier); without one, or with the link strategy, the answer
// has no id.
func issueFormFieldVerification(ctx context.Context, s *Service, f loginFacts, w *Withheld) error {
	if s.verifier == nil || f.tenant.EmailConfiguration.VerificationStrategy != "FormField" {
		return nil
	}
	var app *storage.Application
	if f.app.ID != "" {
		app = &f.app
	}
	id, err := s.verifier.IssueLoginVerification(ctx, f.tenant, app, f.user)
	if err != nil {
		return fmt.Errorf("auth: email verification for a 212: %w", err)
	}
	w.EmailVerificationID = id
	return nil
}

// EmailVerifier issues a verificationId and mails its code, for a 212 of
// the FormField strategy (internal/manage's Accounts).
type EmailVerifier interface {
	IssueLoginVerification(ctx context.Context, t storage.Tenant, app *storage.Application, u storage.User) (string, error)
	// IssueLoginRegistrationVerification is the same for a 213.
	IssueLoginRegistrationVerification(ctx context.Context, t storage.Tenant, app storage.Application, u storage.User,
		reg storage.Registration) (string, error)
}

// SetEmailVerifier wires the account flows in after both are built (the
// account flows use this Service, so they cannot be built before it).
func (s *Service) SetEmailVerifier(v EmailVerifier) { s.verifier = v }

// heldLogin is a login that one of loginRules withholds: the password is
// checked with nothing written, a refusal goes the way of every refusal,
// and only a right password reaches the rule's finish.
func (s *Service) heldLogin(ctx context.Context, f loginFacts, rule *loginRule, w *Withheld,
	ch charge, fail event) error {
	ok, verr := s.pw.Verify(ctx, f.req.Password, f.user.Password)
	if outcome, err := verdict(ok, verr, f.user, s.cfg.Now()); outcome != "" {
		releaseHashSlot(ctx) // a refusal hashes nothing more; a success may rehash
		return s.refuse(ctx, f.tenant, ch, verr, fail, outcome, err, &attempt{f.req, f.user})
	}
	return s.withhold(ctx, f, rule, w, ch)
}

// withhold finishes a withheld login whose credential was accepted (a
// password, a oneTimePassword): the attempt's reservation is given back
// (and the counter of its account and address reset, but for a second
// factor still to come: a password alone must not clear the failures that
// wrong codes counted, or knowing the password would buy unlimited code
// guesses), the rule issues what its answer carries, and the answer gets
// the user.
func (s *Service) withhold(ctx context.Context, f loginFacts, rule *loginRule, w *Withheld, ch charge) error {
	if rule.kind == WithheldTwoFactor {
		if ch.res != nil {
			if err := s.giveBack(ctx, *ch.res, false); err != nil {
				return err
			}
		}
	} else if r := ch.refund(); r != nil {
		if err := s.giveBack(ctx, *r, true); err != nil {
			return err
		}
	}
	if rule.finish != nil {
		if err := rule.finish(ctx, s, f, w); err != nil {
			return err
		}
	}
	if f.req.Password != "" {
		s.rehash(ctx, f.tenant, &f.user, f.req.Password)
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, f.user.ID)
	if err != nil {
		return fmt.Errorf("auth: list registrations: %w", err)
	}
	w.User.Registrations = regs
	s.emit(ctx, event{name: evLoginWithheld, level: slog.LevelInfo, userID: f.user.ID, appID: f.app.ID,
		ip: f.req.IPAddress, outcome: w.Kind})
	return w
}
