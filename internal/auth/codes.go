package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CodeTTL is how long an authorization code may be exchanged: FusionAuth's
// default authorizationGrantIdTimeToLiveInSeconds (RFC 6749 §4.1.2 asks for
// at most ten minutes).
const CodeTTL = 30 * time.Second

// Outcomes of the code exchange (POST /oauth2/token, grant_type
// authorization_code).
var (
	// ErrInvalidCode: unknown, expired, used, issued to another client or
	// redirect_uri, of a login session that ended since, or a PKCE
	// verifier that does not match. FusionAuth answers all of them alike
	// (400 invalid_request, auth_code_not_found).
	ErrInvalidCode = errors.New("auth: invalid authorization code")
	// ErrVerifierRequired: the PKCE policy needs a code_verifier.
	ErrVerifierRequired = errors.New("auth: code_verifier required")
	// ErrInvalidVerifier: the code_verifier is not RFC 7636 syntax.
	ErrInvalidVerifier = errors.New("auth: malformed code_verifier")
)

const (
	evCodeIssued   = "authorization_code_issued"
	evCodeExchange = "authorization_code_exchange"
	evCodeReplay   = "authorization_code_replay"
)

// IssueCode issues an authorization code for the user of session to the
// validated request a. The user must be registered for the application:
// latchkey issues no token to an unregistered user (docs/decisions.md), so
// the refusal comes now, as access_denied, rather than at the exchange.
// Nor is a code issued while a user action prevents the user's login to
// the application (*Withheld, WithheldLoginPrevented): a single sign-on
// session started before the action must not outlive it.
func (s *Service) IssueCode(ctx context.Context, a Authorization, session storage.LoginSession, ip string) (string, error) {
	regs, err := s.cfg.Store.ListRegistrations(ctx, session.UserID)
	if err != nil {
		return "", fmt.Errorf("auth: list registrations: %w", err)
	}
	if findRegistration(regs, a.App.ID) == nil {
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, userID: session.UserID, appID: a.App.ID,
			ip: ip, outcome: "registration_required"})
		return "", ErrRegistrationRequired
	}
	now := s.cfg.Now()
	actions, err := s.preventingActions(ctx, session.UserID, a.App.ID, now)
	if err != nil {
		return "", err
	}
	if len(actions) > 0 {
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, userID: session.UserID, appID: a.App.ID,
			ip: ip, outcome: "login_prevented"})
		return "", &Withheld{Kind: WithheldLoginPrevented, User: storage.User{ID: session.UserID}, Actions: actions}
	}
	raw := newRefreshValue()
	c := storage.AuthorizationCode{Hash: hashToken(raw), ClientID: a.App.ID, TenantID: a.App.TenantID,
		UserID: session.UserID, RedirectURI: a.RedirectURI, Scopes: a.Scopes, Nonce: a.Nonce,
		CodeChallenge: a.Challenge, CodeChallengeMethod: a.Method, SessionID: session.ID,
		AuthTime: session.AuthTime, AuthType: session.AuthType, GrantID: newTimeOrderedID(now),
		CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}
	if err := s.cfg.Store.CreateAuthorizationCode(ctx, c); err != nil {
		return "", fmt.Errorf("auth: store authorization code: %w", err)
	}
	s.emit(ctx, event{name: evCodeIssued, level: slog.LevelInfo, userID: c.UserID, appID: a.App.ID, ip: ip, outcome: "success"})
	return raw, nil
}

// ExchangeRequest redeems a code at the token endpoint. App is the client
// the caller authenticated as; ClientAuthenticated says a secret was
// presented and verified.
type ExchangeRequest struct {
	App                 storage.Application
	ClientAuthenticated bool
	Code, RedirectURI   string
	Verifier            string
	DPoPJKT, IPAddress  string
}

// ExchangeCode redeems an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.6) in FusionAuth's order (endpoints.mdx, Authorization Code Grant):
// verifier syntax, PKCE policy, then the code. A code is single use: any
// failed attempt consumes it, and a second use revokes the grant the first
// one created, access and refresh tokens alike (RFC 6749 §4.1.2 "SHOULD";
// FusionAuth only refuses).
func (s *Service) ExchangeCode(ctx context.Context, req ExchangeRequest) (Tokens, error) {
	if req.Verifier != "" && !validPKCEValue(req.Verifier) {
		return Tokens{}, ErrInvalidVerifier
	}
	switch req.App.OAuthConfiguration.ProofKeyForCodeExchangePolicy {
	case "Required":
		if req.Verifier == "" {
			return Tokens{}, ErrVerifierRequired
		}
	case "NotRequiredWhenUsingClientAuthentication":
		if req.Verifier == "" && !req.ClientAuthenticated {
			return Tokens{}, ErrVerifierRequired
		}
	}
	if req.Code == "" || len(req.Code) > maxRefreshTokenLen {
		return Tokens{}, ErrInvalidCode
	}
	h := hashToken(req.Code)
	now := s.cfg.Now()
	ev := event{name: evCodeExchange, level: slog.LevelInfo, appID: req.App.ID, ip: req.IPAddress}
	c, err := s.cfg.Store.GetAuthorizationCode(ctx, h)
	if errors.Is(err, storage.ErrNotFound) {
		ev.outcome = "unknown"
		s.emit(ctx, ev)
		return Tokens{}, ErrInvalidCode
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: get authorization code: %w", err)
	}
	ev.userID = c.UserID
	if !c.RedeemedAt.IsZero() {
		return Tokens{}, s.codeReplay(ctx, c, ev)
	}
	if outcome := codeMismatch(c, req, now); outcome != "" {
		return Tokens{}, s.consumeCode(ctx, c, ev, outcome, ErrInvalidCode)
	}
	return s.redeem(ctx, c, req, now, ev)
}

// codeMismatch names why c cannot be exchanged by req, "" when it can.
func codeMismatch(c storage.AuthorizationCode, req ExchangeRequest, now time.Time) string {
	switch {
	case !now.Before(c.ExpiresAt):
		return "expired"
	case c.ClientID != req.App.ID:
		return "wrong_client"
	case c.RedirectURI != req.RedirectURI:
		return "wrong_redirect_uri"
	case c.CodeChallenge == "" && req.Verifier != "":
		return "unexpected_verifier"
	case c.CodeChallenge != "" && !verifierMatches(c.CodeChallenge, c.CodeChallengeMethod, req.Verifier):
		return "wrong_verifier"
	}
	return ""
}

// verifierMatches checks the verifier against the stored challenge (RFC 7636
// §4.6) in constant time.
func verifierMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	got := verifier
	if method == methodS256 {
		sum := sha256.Sum256([]byte(verifier))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// consumeCode marks a code used after a failed attempt (FusionAuth deletes
// it): whoever tried, the code is burnt, and refusal is the answer.
func (s *Service) consumeCode(ctx context.Context, c storage.AuthorizationCode, ev event, outcome string, refusal error) error {
	err := s.cfg.Store.RedeemAuthorizationCode(ctx, c.Hash, s.cfg.Now(), nil)
	if errors.Is(err, storage.ErrConflict) {
		return s.codeReplay(ctx, c, ev)
	}
	if errors.Is(err, storage.ErrSessionEnded) {
		return s.sessionEnded(ctx, ev)
	}
	if err != nil {
		return fmt.Errorf("auth: consume authorization code: %w", err)
	}
	ev.outcome = outcome
	s.emit(ctx, ev)
	return refusal
}

// sessionEnded refuses a code whose login session ended after it was
// issued, as any unusable code; nothing was issued or written.
func (s *Service) sessionEnded(ctx context.Context, ev event) error {
	ev.outcome = "session_ended"
	s.emit(ctx, ev)
	return ErrInvalidCode
}

// codeReplay revokes what the code's first use issued.
func (s *Service) codeReplay(ctx context.Context, c storage.AuthorizationCode, ev event) error {
	revoked, err := s.revokeOne(ctx, c.GrantID, "code_replay", "")
	if err != nil {
		return fmt.Errorf("auth: revoke on code replay: %w", err)
	}
	ev.name, ev.level, ev.outcome, ev.tokenID = evCodeReplay, slog.LevelWarn, "grant_revoked", c.GrantID
	if len(revoked) == 0 {
		ev.outcome = "nothing_to_revoke"
	}
	s.emit(ctx, ev)
	return ErrInvalidCode
}

// redeem loads what the tokens are minted from, redeems the code together
// with its grant record, and signs.
func (s *Service) redeem(ctx context.Context, c storage.AuthorizationCode, req ExchangeRequest, now time.Time, ev event) (Tokens, error) {
	g, err := s.codeGrant(ctx, c, req)
	if errors.Is(err, storage.ErrNotFound) {
		return Tokens{}, s.consumeCode(ctx, c, ev, "context_gone", ErrInvalidCode)
	}
	if err != nil {
		return Tokens{}, err
	}
	// A user action taken since the code was issued refuses the exchange
	// as the password grant is refused (400 invalid_grant,
	// login_prevented), and burns the code.
	actions, err := s.preventingActions(ctx, c.UserID, req.App.ID, now)
	if err != nil {
		return Tokens{}, err
	}
	if len(actions) > 0 {
		return Tokens{}, s.consumeCode(ctx, c, ev, "login_prevented",
			&Withheld{Kind: WithheldLoginPrevented, User: g.user, Actions: actions})
	}
	// The grant record is the session the tokens belong to (their sid): it
	// is what a replay, /oauth2/revoke or a logout revokes. Its secret is
	// handed out only when a refresh token was granted.
	lr := LoginRequest{IPAddress: req.IPAddress, OAuth: true, Scopes: c.Scopes, DPoPJKT: req.DPoPJKT}
	raw, rec := s.newRefresh(g, now, lr)
	withRefresh := wantsRefresh(lr, g.app, g.reg)
	if !withRefresh {
		rec.ExpiresAt = now.Add(g.set.AccessTTL)
	}
	// The code's login session must still be live: one that ended (a
	// logout) since the code was issued takes its code with it. The store
	// checks it in the redemption's transaction, so a logout racing this
	// exchange either refuses it or revokes what it issued.
	err = s.cfg.Store.RedeemAuthorizationCode(ctx, c.Hash, now, &rec)
	if errors.Is(err, storage.ErrConflict) {
		return Tokens{}, s.codeReplay(ctx, c, ev)
	}
	if errors.Is(err, storage.ErrSessionEnded) {
		return Tokens{}, s.sessionEnded(ctx, ev)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: redeem authorization code: %w", err)
	}
	out := Tokens{User: g.user, Application: g.app, Registered: true}
	if err := s.mint(ctx, g, now, &out); err != nil {
		return Tokens{}, err
	}
	if withRefresh {
		out.RefreshToken, out.RefreshTokenID, out.RefreshExpiresAt = raw, rec.ID, rec.ExpiresAt
	}
	ev.outcome, ev.tokenID = "success", rec.ID
	s.emit(ctx, ev)
	return out, nil
}

// codeGrant loads the tenant, user and registration as they are now.
// storage.ErrNotFound: the user can no longer log in or is no longer
// registered.
func (s *Service) codeGrant(ctx context.Context, c storage.AuthorizationCode, req ExchangeRequest) (grant, error) {
	tenant, err := s.tenant(ctx, req.App.TenantID)
	if err != nil {
		return grant{}, wrapLoad("tenant", err)
	}
	user, err := s.cfg.Store.GetUser(ctx, c.UserID)
	if err != nil {
		return grant{}, wrapLoad("user", err)
	}
	if !userCanLogIn(user, s.cfg.Now()) {
		return grant{}, storage.ErrNotFound
	}
	regs, err := s.cfg.Store.ListRegistrations(ctx, user.ID)
	if err != nil {
		return grant{}, wrapLoad("registrations", err)
	}
	user.Registrations = regs
	reg := findRegistration(regs, req.App.ID)
	if reg == nil {
		return grant{}, storage.ErrNotFound
	}
	return grant{tenant: tenant, app: req.App, user: user, reg: reg, authType: c.AuthType, authTime: c.AuthTime,
		refreshID: c.GrantID, oauth: true, scopes: slices.Clone(c.Scopes), set: resolveSettings(tenant, req.App),
		jkt: req.DPoPJKT, sessionID: c.SessionID, nonce: c.Nonce, code: req.Code}, nil
}
