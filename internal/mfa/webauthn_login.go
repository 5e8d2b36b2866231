package mfa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginStart is POST /api/webauthn/start.
type LoginStart struct {
	ApplicationID, UserID, LoginID, Workflow, Origin string
	State                                            map[string]any
	// HasAPIKey: FusionAuth requires a key. Without one latchkey allows
	// only a usernameless start (no user named, empty allowCredentials),
	// so a keyless caller learns nothing about accounts.
	HasAPIKey bool
}

// StartLogin makes the request options and keeps the challenge. With no
// user named it is a usernameless (discoverable) login, latchkey's
// extension: the authenticator picks the passkey and its user handle says
// whose it is.
func (s *Service) StartLogin(ctx context.Context, sc manage.Scope, req LoginStart) (*protocol.CredentialAssertion, error) {
	inv := &manage.Invalid{}
	if req.ApplicationID == "" {
		inv.Field("missing", "applicationId", "You must specify the [applicationId] property.")
	}
	if req.Workflow != WorkflowBootstrap && req.Workflow != WorkflowReauthentication {
		inv.Field("invalid", "workflow", "The [workflow] property must be bootstrap or reauthentication.")
	}
	named := req.UserID != "" || req.LoginID != ""
	if named && !req.HasAPIKey {
		inv.Field("invalid", "userId", "Without an API key only a passkey login without a user name can start; leave [userId] and [loginId] out.")
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	app, err := storage.Application{}, storage.ErrNotFound
	if manage.ValidID(req.ApplicationID) { // every application id is a UUID; nothing else reaches a query
		app, err = s.Store.GetApplication(ctx, req.ApplicationID)
	}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!app.Active || !sc.Sees(app.TenantID))) {
		return nil, invalid("invalid", "applicationId", "The [applicationId] property does not name an active application.")
	}
	if err != nil {
		return nil, err
	}
	tenant, err := s.Store.GetTenant(ctx, app.TenantID)
	if err != nil {
		return nil, err
	}
	w, on := workflowOn(tenant, &app, req.Workflow)
	if !on {
		return nil, invalid("disabled", "workflow", "WebAuthn or the ["+req.Workflow+"] workflow is disabled.")
	}
	rp, err := s.party(ctx, tenant, w, req.Origin)
	if err != nil {
		return nil, err
	}
	wa, err := rp.webAuthn()
	if err != nil {
		return nil, invalid("invalid", "rpId", "The relying party is not usable: "+err.Error())
	}
	var opts *protocol.CredentialAssertion
	var session *webauthn.SessionData
	var userID string
	if named {
		user, err := s.findUser(ctx, sc, req.UserID, req.LoginID)
		if err != nil {
			return nil, err
		}
		creds, err := s.Store.ListWebAuthnCredentials(ctx, user.ID)
		if err != nil {
			return nil, err
		}
		if len(creds) == 0 {
			return nil, invalid("invalid", "userId", "The user has no passkey.")
		}
		userID = user.ID
		opts, session, err = wa.BeginLogin(passkeyUser{user: user, creds: creds}, webauthn.WithUserVerification(rp.UV))
		if err != nil {
			return nil, fmt.Errorf("mfa: begin login: %w", err)
		}
	} else if opts, session, err = wa.BeginDiscoverableLogin(webauthn.WithUserVerification(rp.UV)); err != nil {
		return nil, fmt.Errorf("mfa: begin login: %w", err)
	}
	now := s.now()
	d := ceremonyData{Session: *session, Workflow: req.Workflow, ApplicationID: app.ID, State: req.State, Party: rp}
	if err := s.Store.CreateChallenge(ctx, storage.Challenge{Hash: challengeKey(session.Challenge),
		Kind: storage.ChallengeWebAuthnAuthentication, UserID: userID, TenantID: tenant.ID, CreatedAt: now,
		ExpiresAt: now.Add(challengeTTLSeconds * time.Second), Data: d.encode()}); err != nil {
		return nil, err
	}
	return opts, nil
}

// Assertion is a verified passkey assertion.
type Assertion struct {
	User       storage.User
	Credential storage.WebAuthnCredential
	Ceremony   ceremonyData
	// Verified: the authenticator verified the user (UV flag).
	Verified bool
}

// Assert verifies an assertion (POST /api/webauthn/assert, and the first
// half of /api/webauthn/login): the challenge is consumed whatever the
// outcome, so an assertion is answered at most once and a replay finds no
// challenge (404).
func (s *Service) Assert(ctx context.Context, credential json.RawMessage) (Assertion, error) {
	parsed, err := parseAssertion(credential)
	if err != nil {
		return Assertion{}, err
	}
	now := s.now()
	c, err := s.Store.ConsumeChallenge(ctx, storage.ChallengeWebAuthnAuthentication, challengeKey(parsed.Response.CollectedClientData.Challenge), now)
	if errors.Is(err, storage.ErrNotFound) {
		return Assertion{}, ErrChallengeNotFound
	}
	if err != nil {
		return Assertion{}, err
	}
	var d ceremonyData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return Assertion{}, err
	}
	cred, err := s.Store.FindWebAuthnCredential(ctx, parsed.RawID)
	// The passkey must be the named user's, and always of the ceremony's
	// tenant: a usernameless ceremony started for one tenant's application
	// never ends with another tenant's user.
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (cred.TenantID != c.TenantID || (c.UserID != "" && cred.UserID != c.UserID))) {
		return Assertion{}, invalid("invalid", "credential.id", "The passkey is unknown or is not the user's.")
	}
	if err != nil {
		return Assertion{}, err
	}
	if h := parsed.Response.UserHandle; len(h) > 0 && !bytes.Equal(h, []byte(cred.UserID)) {
		return Assertion{}, invalid("invalid", "credential.response.userHandle", "The user handle is not the passkey's user.")
	}
	user, err := s.Store.GetUser(ctx, cred.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && user.TenantID != c.TenantID) {
		return Assertion{}, invalid("invalid", "credential.id", "The passkey is unknown or is not the user's.")
	}
	if err != nil {
		return Assertion{}, err
	}
	a := Assertion{User: user, Credential: cred, Ceremony: d}
	if err := s.verifyAssertion(ctx, &a, parsed, now); err != nil {
		return Assertion{}, err
	}
	// A passkey login ends every other pending login ceremony of the user.
	if _, err := s.Store.DeleteChallenges(ctx, user.ID, storage.ChallengeWebAuthnAuthentication); err != nil {
		return Assertion{}, err
	}
	return a, nil
}

// verifyAssertion lets the library check the ceremony, then applies the
// sign-counter rule and records the use (compare-and-swap).
func (s *Service) verifyAssertion(ctx context.Context, a *Assertion, parsed *protocol.ParsedCredentialAssertionData, now time.Time) error {
	wa, err := a.Ceremony.Party.webAuthn()
	if err != nil {
		return err
	}
	creds, err := s.ownCredentials(ctx, a)
	if err != nil {
		return err
	}
	pu := passkeyUser{user: a.User, creds: creds}
	session := a.Ceremony.Session
	session.UserID = pu.WebAuthnID() // a usernameless ceremony is bound once the passkey names its user
	got, err := wa.ValidateLogin(pu, session, parsed)
	if err != nil {
		return ceremonyError(err, "credential.response.authenticatorData")
	}
	if !bytes.Equal(got.ID, a.Credential.CredentialID) {
		return invalid("invalid", "credential.id", "The passkey is unknown or is not the user's.")
	}
	prev, next := a.Credential.SignCount, got.Authenticator.SignCount
	// WebAuthn §6.1.1: a counter that does not grow, when either is not
	// zero, means a cloned authenticator or a replayed assertion.
	if (prev != 0 || next != 0) && next <= prev {
		s.event(ctx, "webauthn_sign_count_regressed", a.User.ID, a.Credential.ID)
		return invalid("invalid", "credential.response.authenticatorData",
			"The authenticator's signature counter did not increase: the passkey may have been cloned.")
	}
	if err := s.Store.UseWebAuthnCredential(ctx, a.Credential.ID, prev, next, got.Flags.BackupState, now); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return invalid("invalid", "credential.response.authenticatorData", "The passkey was used concurrently; try again.")
		}
		return err
	}
	// Verified is this assertion's UV flag: the library's got.Flags keeps
	// the stored credential's (registered with UV, it stays true), which
	// would let an assertion without user verification count as two
	// factors.
	a.Verified = parsed.Response.AuthenticatorData.Flags.HasUserVerified()
	a.Credential.SignCount, a.Credential.LastUseInstant = next, now.UnixMilli()
	return nil
}

// ownCredentials is every passkey of the assertion's user, the presented
// one as Assert read it. The library requires the user to own every
// credential a named ceremony allowed (all the user's passkeys when it
// started), so giving it only the presented one refused every named login
// of a user with two passkeys.
func (s *Service) ownCredentials(ctx context.Context, a *Assertion) ([]storage.WebAuthnCredential, error) {
	creds, err := s.Store.ListWebAuthnCredentials(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	found := false
	for i := range creds {
		if creds[i].ID == a.Credential.ID {
			creds[i], found = a.Credential, true
		}
	}
	if !found { // deleted since Assert read it
		return nil, invalid("invalid", "credential.id", "The passkey is unknown or is not the user's.")
	}
	return creds, nil
}

// PasskeyLogin is POST /api/webauthn/login.
type PasskeyLogin struct {
	Credential       json.RawMessage
	ApplicationID    string
	IPAddress        string
	LockoutIP        string // auth.AuthenticatedLogin's
	UserAgent        string
	Device           storage.DeviceInfo
	NoJWT            bool
	DPoPJKT          string
	TwoFactorTrustID string
	// OAuth: the hosted login page's passkey login (no token here; the
	// page issues a code).
	OAuth bool
}

// Login verifies the assertion and logs the user in through auth (the one
// issuance path). A passkey that verified the user counts as both factors
// (docs/compatibility.md); one that did not is a first factor, and a user
// with two-factor methods then gets 242.
func (s *Service) Login(ctx context.Context, req PasskeyLogin) (auth.Tokens, error) {
	a, err := s.Assert(ctx, req.Credential)
	if err != nil {
		return auth.Tokens{}, err
	}
	if a.Ceremony.Workflow != WorkflowBootstrap {
		return auth.Tokens{}, invalid("invalid", "workflow", "This challenge was started for re-authentication, not a login.")
	}
	appID := a.Ceremony.ApplicationID
	if req.ApplicationID != "" && !strings.EqualFold(req.ApplicationID, appID) {
		return auth.Tokens{}, invalid("invalid", "applicationId", "The [applicationId] differs from the one the login started with.")
	}
	return s.Auth.LoginAuthenticated(ctx, auth.AuthenticatedLogin{UserID: a.User.ID, ApplicationID: appID,
		IPAddress: req.IPAddress, LockoutIP: req.LockoutIP, UserAgent: req.UserAgent, Device: req.Device, NoJWT: req.NoJWT, DPoPJKT: req.DPoPJKT,
		TwoFactorTrustID: req.TwoFactorTrustID, Method: auth.AuthWebAuthn, SecondFactor: a.Verified, State: a.Ceremony.State,
		OAuth: req.OAuth})
}

// PasskeysOffered says whether the hosted login page of app, served from
// origin, offers a passkey login: the bootstrap workflow is on for the
// tenant (and the application) and origin is one of the tenant's allowed
// origins within its relying party, so that StartLogin from the page
// will succeed. Any failure reads as "no" and the page shows the password
// form alone.
func (s *Service) PasskeysOffered(ctx context.Context, app storage.Application, origin string) bool {
	tenant, err := s.Store.GetTenant(ctx, app.TenantID)
	if err != nil {
		return false
	}
	w, on := workflowOn(tenant, &app, WorkflowBootstrap)
	if !on {
		return false
	}
	_, err = s.party(ctx, tenant, w, origin)
	return err == nil
}
