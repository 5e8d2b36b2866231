package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/loginid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// authOpenIDConnect is FusionAuth's authenticationType for a login through
// an OpenID Connect identity provider.
const authOpenIDConnect = "OPENID_CONNECT"

// Outcomes of a federated login (FusionAuth identity-providers/openid-connect.mdx).
var (
	// ErrProviderDisabled: the identity provider is unknown, disabled, or
	// not enabled for the application (404).
	ErrProviderDisabled = errors.New("auth: identity provider not enabled")
	// ErrNoLink: the upstream account is linked to nobody of the
	// application's tenant and the linking strategy does not link or
	// create one (404).
	ErrNoLink = errors.New("auth: no linked user")
	// ErrLinkRefused: the upstream account cannot be linked: it names no
	// user id, or its email is not verified upstream and a user with that
	// email exists here (linking it would hand that account to whoever
	// controls the upstream one).
	ErrLinkRefused = errors.New("auth: identity provider account cannot be linked")
	// ErrLinkLimit: linking the upstream account would give its user more
	// links to the provider than the provider's tenantConfiguration allows
	// for the application's tenant (limitUserLinkCount); nothing was
	// written and nobody logged in.
	ErrLinkLimit = errors.New("auth: the user has the most links the identity provider allows")
)

// PendingLinkTTL is how long a pendingIdPLinkId can be linked (FusionAuth's
// default pendingAccountLinkTimeToLiveInSeconds, an hour).
const PendingLinkTTL = time.Hour

// PendingLink is the outcome of a federated login under CreatePendingLink
// whose upstream account is linked to nobody in the application's tenant:
// nobody is logged in, and ID (FusionAuth's pendingIdPLinkId, answered
// with 232) links the account to a user of that tenant through the Link
// API within PendingLinkTTL.
type PendingLink struct{ ID string }

func (*PendingLink) Error() string { return "auth: identity provider account waits for a link" }

var (
	_ error = (*PendingLink)(nil)
)

// FederatedRequest is a login whose credential an upstream OpenID provider
// checked: its claims (verified id token and user info).
type FederatedRequest struct {
	Provider      storage.IdentityProvider
	ApplicationID string
	Claims        map[string]any
	IPAddress     string
	// IDToken and RawIDToken are the verified upstream id token's claims
	// and its encoded form (empty when the provider has no issuer, so no
	// id token was verified): the reconcile lambda's id_token and
	// tokens.id_token.
	IDToken    map[string]any
	RawIDToken string
}

// FederatedUser finds or makes the local user of an upstream account
// (linkingStrategy: LinkByEmail links to the user with that email or
// creates one, LinkByEmailForExistingUser only links, LinkByUsername and
// LinkByUsernameForExistingUser the same by username, LinkAnonymously
// creates a user without email or username, Disabled only accepts
// existing links, CreatePendingLink keeps the account for a later link:
// *PendingLink) and registers them for the application when the
// provider's applicationConfiguration says createRegistration.
//
// Two first logins of one new upstream account at once (a double click)
// both find no link and both try to write it; the loser's write is a
// conflict, and it resolves the account again, now through the winner's
// link and registration.
func (s *Service) FederatedUser(ctx context.Context, req FederatedRequest) (storage.User, storage.Application, error) {
	u, app, err := s.federatedUser(ctx, req)
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrStale) {
		u, app, err = s.federatedUser(ctx, req)
	}
	return u, app, err
}

func (s *Service) federatedUser(ctx context.Context, req FederatedRequest) (storage.User, storage.Application, error) {
	p := req.Provider
	app, err := s.application(ctx, req.ApplicationID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(app)) {
		return storage.User{}, app, ErrUnknownApplication
	}
	if err != nil {
		return storage.User{}, app, fmt.Errorf("auth: federated: application: %w", err)
	}
	ac, ok := p.ApplicationConfiguration[app.ID]
	if !p.Enabled || !ok || !ac.Enabled {
		return storage.User{}, app, ErrProviderDisabled
	}
	upstreamID := claimString(req.Claims, p.OAuth2.UniqueIDClaim, "sub")
	if upstreamID == "" {
		return storage.User{}, app, ErrLinkRefused
	}
	user, acct, err := s.federatedAccount(ctx, p, app, upstreamID, req.Claims)
	var pending *PendingLink
	if errors.As(err, &pending) { // not refused: waiting for its link
		return storage.User{}, app, err
	}
	if err != nil {
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, appID: app.ID, ip: req.IPAddress, outcome: "federated_refused"})
		return storage.User{}, app, err
	}
	if !userCanLogIn(user, s.cfg.Now()) {
		return storage.User{}, app, ErrInvalidCredentials
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return storage.User{}, app, fmt.Errorf("auth: federated: registrations: %w", err)
	}
	existing := findRegistration(regs, app.ID)
	if existing == nil && ac.CreateRegistration && (acct.Registration == nil) {
		acct.Registration = s.defaultRegistration(user.ID, app)
	}
	// The provider's reconcile lambda, on every login (FusionAuth runs none
	// for an anonymous link: extend/code/lambdas "Limitations").
	if p.LambdaConfiguration.ReconcileID != "" && p.LinkingStrategy != "LinkAnonymously" {
		if user, err = s.reconcile(ctx, req, app, user, existing, &acct); err != nil {
			return storage.User{}, app, err
		}
	}
	if acct.User != nil || acct.Registration != nil || acct.Link.IdentityProviderID != "" || acct.UpdatedUser != nil || acct.UpdatedRegistration != nil {
		acct.MaxLinks = p.MaxLinks(app.TenantID)
		err := s.cfg.Store.CreateFederatedAccount(ctx, acct)
		if errors.Is(err, storage.ErrLinkLimit) {
			s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, appID: app.ID, ip: req.IPAddress, outcome: "federated_link_limit"})
			return storage.User{}, app, ErrLinkLimit
		}
		if err != nil {
			return storage.User{}, app, fmt.Errorf("auth: federated: store account: %w", err)
		}
	}
	return user, app, nil
}

// federatedAccount resolves the upstream account to a local user: the
// linked one, else per the linking strategy (the account to write says
// what is new).
func (s *Service) federatedAccount(ctx context.Context, p storage.IdentityProvider, app storage.Application,
	upstreamID string, claims map[string]any) (storage.User, storage.FederatedAccount, error) {
	var acct storage.FederatedAccount
	// A provider serves applications of several tenants, and each tenant
	// links the upstream account to a user of its own: the login follows
	// the link of its application's tenant only.
	link, err := s.cfg.Store.GetIdentityProviderLink(ctx, app.TenantID, p.ID, upstreamID)
	if err == nil {
		u, err := s.cfg.Store.GetUser(ctx, link.UserID)
		return u, acct, err
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, acct, fmt.Errorf("auth: federated: link: %w", err)
	}
	switch p.LinkingStrategy {
	case "Disabled":
		return storage.User{}, acct, ErrNoLink
	case "LinkAnonymously":
		return s.linkAnonymously(p, app, upstreamID, claims)
	case "CreatePendingLink":
		return storage.User{}, acct, s.pendingLink(ctx, p, app, upstreamID, claims)
	case "LinkByUsername", "LinkByUsernameForExistingUser":
		return s.linkByUsername(ctx, p, app, upstreamID, claims)
	}
	email := claimString(claims, p.OAuth2.EmailClaim, "email")
	verified, _ := claims[orDefaultName(p.OAuth2.EmailVerifiedClaim, "email_verified")].(bool)
	acct.Link = storage.IdentityProviderLink{IdentityProviderID: p.ID, IdentityProviderUserID: upstreamID,
		TenantID: app.TenantID, DisplayName: email, InsertInstant: s.cfg.Now().UnixMilli()}
	if email != "" {
		u, err := s.cfg.Store.FindUser(ctx, storage.UserFilter{TenantID: app.TenantID, Email: email})
		switch {
		case err == nil && !verified:
			return storage.User{}, acct, ErrLinkRefused
		case err == nil:
			acct.Link.UserID = u.ID
			return u, acct, nil
		case !errors.Is(err, storage.ErrNotFound):
			return storage.User{}, acct, fmt.Errorf("auth: federated: find user: %w", err)
		}
	}
	if p.LinkingStrategy != "LinkByEmail" || email == "" {
		return storage.User{}, acct, ErrNoLink
	}
	now := s.cfg.Now().UnixMilli()
	u := storage.User{ID: newID(), TenantID: app.TenantID, Active: true, Email: email, Verified: verified,
		FirstName: claimString(claims, "given_name", ""), LastName: claimString(claims, "family_name", ""),
		FullName: claimString(claims, "name", ""), InsertInstant: now, LastUpdateInstant: now}
	acct.User, acct.Link.UserID = &u, u.ID
	return u, acct, nil
}

// linkAnonymously creates a user with neither email nor username for a new
// upstream account and links it (FusionAuth's "Anonymously Link"): the
// user signs in through the provider only, and no claim reaches the user.
func (s *Service) linkAnonymously(p storage.IdentityProvider, app storage.Application, upstreamID string,
	claims map[string]any) (storage.User, storage.FederatedAccount, error) {
	now := s.cfg.Now().UnixMilli()
	u := storage.User{ID: newID(), TenantID: app.TenantID, Active: true, InsertInstant: now, LastUpdateInstant: now}
	display := cmp.Or(claimString(claims, p.OAuth2.EmailClaim, "email"), claimString(claims, p.OAuth2.UsernameClaim, "preferred_username"), upstreamID)
	acct := storage.FederatedAccount{User: &u, Link: storage.IdentityProviderLink{IdentityProviderID: p.ID, IdentityProviderUserID: upstreamID,
		TenantID: app.TenantID, UserID: u.ID, DisplayName: display, InsertInstant: now}}
	return u, acct, nil
}

// linkByUsername links a new upstream account to the user of the
// application's tenant whose username is the provider's username claim
// (usernameClaim, preferred_username by default), or, under
// LinkByUsername, creates a user with that username. The provider is
// trusted with the username as the email strategies trust a verified
// email (docs/security.md). A username missing upstream, one that is
// another user's email here (a login id names either), or one a new user
// could not have (too long, control or invisible characters, a look-alike
// of another login) is refused.
func (s *Service) linkByUsername(ctx context.Context, p storage.IdentityProvider, app storage.Application, upstreamID string,
	claims map[string]any) (storage.User, storage.FederatedAccount, error) {
	username := claimString(claims, p.OAuth2.UsernameClaim, "preferred_username")
	if username == "" {
		return storage.User{}, storage.FederatedAccount{}, ErrLinkRefused
	}
	now := s.cfg.Now().UnixMilli()
	acct := storage.FederatedAccount{Link: storage.IdentityProviderLink{IdentityProviderID: p.ID, IdentityProviderUserID: upstreamID,
		TenantID: app.TenantID, DisplayName: username, InsertInstant: now}}
	u, err := s.cfg.Store.FindUser(ctx, storage.UserFilter{TenantID: app.TenantID, Username: username})
	switch {
	case err == nil:
		acct.Link.UserID = u.ID
		return u, acct, nil
	case !errors.Is(err, storage.ErrNotFound):
		return storage.User{}, acct, fmt.Errorf("auth: federated: find user: %w", err)
	case p.LinkingStrategy != "LinkByUsername":
		return storage.User{}, acct, ErrNoLink
	}
	if utf8.RuneCountInString(username) > maxUsernameLength || loginid.Disallowed(username) || loginid.LooksLike(username) {
		return storage.User{}, acct, ErrLinkRefused
	}
	switch _, err := s.cfg.Store.FindUser(ctx, storage.UserFilter{TenantID: app.TenantID, Email: username}); {
	case err == nil:
		return storage.User{}, acct, ErrLinkRefused
	case !errors.Is(err, storage.ErrNotFound):
		return storage.User{}, acct, fmt.Errorf("auth: federated: find user: %w", err)
	}
	u = storage.User{ID: newID(), TenantID: app.TenantID, Active: true, Username: username,
		FirstName: claimString(claims, "given_name", ""), LastName: claimString(claims, "family_name", ""),
		FullName: claimString(claims, "name", ""), InsertInstant: now, LastUpdateInstant: now}
	acct.User, acct.Link.UserID = &u, u.ID
	return u, acct, nil
}

// pendingLink keeps the upstream account for a later link and answers
// its id (*PendingLink).
func (s *Service) pendingLink(ctx context.Context, p storage.IdentityProvider, app storage.Application, upstreamID string,
	claims map[string]any) error {
	email, username := claimString(claims, p.OAuth2.EmailClaim, "email"), claimString(claims, p.OAuth2.UsernameClaim, "preferred_username")
	data, err := json.Marshal(storage.PendingIdPLink{IdentityProviderID: p.ID, IdentityProviderUserID: upstreamID, ApplicationID: app.ID,
		DisplayName: truncateRunes(cmp.Or(email, username, upstreamID), 255), Email: truncateRunes(email, 255), Username: truncateRunes(username, 255)})
	if err != nil {
		return err
	}
	id := GenerateIdentifier(storage.SecureGenerator{Type: "randomBytes", Length: 32})
	now := s.cfg.Now()
	if err := s.cfg.Store.CreateChallenge(ctx, storage.Challenge{Hash: HashIdentifier(id), Kind: storage.ChallengePendingIdPLink,
		TenantID: app.TenantID, CreatedAt: now, ExpiresAt: now.Add(PendingLinkTTL), Data: data}); err != nil {
		return fmt.Errorf("auth: federated: pending link: %w", err)
	}
	return &PendingLink{ID: id}
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// maxUsernameLength is the longest username a user may have (as the user
// API's, internal/manage).
const maxUsernameLength = 191

// defaultRegistration registers userID for app with its default roles.
func (s *Service) defaultRegistration(userID string, app storage.Application) *storage.Registration {
	roles := []string{}
	for _, r := range app.Roles {
		if r.IsDefault {
			roles = append(roles, r.Name)
		}
	}
	now := s.cfg.Now().UnixMilli()
	return &storage.Registration{ID: newID(), UserID: userID, ApplicationID: app.ID, Roles: roles, Verified: true,
		InsertInstant: now, LastUpdateInstant: now}
}

// FederatedLogin is a login an identity provider authenticated, for
// IssueFederated: the local user, the application and the provider.
type FederatedLogin struct {
	User                 storage.User
	Application          storage.Application
	Provider             storage.IdentityProvider
	IPAddress, UserAgent string
	// NoJWT records the login and its event but issues no token (the
	// request's noJWT; the hosted login page, whose tokens come from the
	// authorization code).
	NoJWT bool
	// TwoFactorTrustID is a trusted device's twoFactorTrustId (the
	// fusionauth.trust cookie): a valid one skips the second factor.
	TwoFactorTrustID string
}

// IssueFederated issues what /api/login would for a user an identity
// provider authenticated (POST /api/identity-provider/login, and the hosted
// login page's "Sign in with …" with NoJWT), through the same plan and
// write as every other login (planLogin, commitLogin): the access token
// (authenticationType OPENID_CONNECT) and, as the application's
// loginConfiguration says, a refresh token, written with the login and its
// user.login.success event (naming the identity provider, as FusionAuth's
// does) in one RecordLogin. A user not registered for the application gets
// no token; the login and its event are recorded all the same, as
// /api/login records them. A user action that prevents the login is 409
// (*Withheld, WithheldLoginPrevented), whether it was in force when the
// login read the user's actions or committed between that read and the
// write (RecordLogin's gate); either way nothing is written. A user with
// a second factor (secondFactorMethods: the login policy, the user's
// methods, a trusted device) gets 242 (WithheldTwoFactor) and only the
// pending login is written; TwoFactorLogin then issues what this would
// have (authenticationType OPENID_CONNECT, the event naming the provider).
// The provider vouched for the first factor only, so every rule of a
// password login judges it, as FusionAuth's Complete Login answers 409,
// 242, 203 and 212 (identity-providers/_identity-provider-login-response-body.mdx):
// 203 for a user whose password must be changed, but never for a user
// without a password (mustChangePassword), and 212 for an unverified
// email where the tenant gates it.
func (s *Service) IssueFederated(ctx context.Context, l FederatedLogin) (Tokens, error) {
	user, app := l.User, l.Application
	tenant, err := s.tenant(ctx, user.TenantID)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: federated: tenant: %w", err)
	}
	now := s.cfg.Now()
	// The login id of the login record is the email the provider vouched
	// for (the username a username strategy linked by; none for an
	// anonymous link).
	req := LoginRequest{ApplicationID: app.ID, LoginID: cmp.Or(user.Email, user.Username), IPAddress: l.IPAddress, UserAgent: l.UserAgent,
		NoJWT: l.NoJWT, TwoFactorTrustID: l.TwoFactorTrustID, authType: authOpenIDConnect, provider: &l.Provider}
	// The same rules as a password login's (outcome.go), decided before
	// anything is signed or written.
	facts := loginFacts{req: req, tenant: tenant, app: app, user: user, now: now, withoutPassword: true}
	if facts.preventions, err = s.loginPreventions(ctx, user.ID, now); err != nil {
		return Tokens{}, err
	}
	if facts.twoFactor, err = s.secondFactorMethods(ctx, req, tenant, app, user); err != nil {
		return Tokens{}, err
	}
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.withhold(ctx, facts, rule, w, charge{})
	}
	p, err := s.planLogin(ctx, req, tenant, app, user, charge{}, now)
	if err != nil {
		return Tokens{}, err
	}
	if unverifiedRegistration(app, p.reg) {
		return Tokens{}, s.withholdRegistration(ctx, req, tenant, app, user, *p.reg, now)
	}
	out, ev, err := s.commitLogin(ctx, req, tenant, app, user, p, now)
	if err != nil {
		return Tokens{}, err
	}
	s.emit(ctx, ev)
	return out, nil
}

// FederationKeys are the keys sealing the hosted page's federation state
// cookie, the current one first; every node shares them (derived from the
// server secret, Config.FederationKeys).
func (s *Service) FederationKeys() [][]byte {
	return s.fedKeys
}

func claimString(c map[string]any, name, def string) string {
	v, _ := c[orDefaultName(name, def)].(string)
	return strings.TrimSpace(v)
}

func orDefaultName(name, def string) string {
	if name == "" {
		return def
	}
	return name
}
