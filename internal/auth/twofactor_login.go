package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The second step of a login (accounts spec §10.8): the first step proved
// a password (or another first factor) and was answered 242 with a
// twoFactorId and no token; POST /api/two-factor/login presents that id
// with a code, and only then are tokens issued, through grantLogin like
// every other login.

var (
	// ErrTwoFactorNotFound: the twoFactorId is unknown, expired, used, or
	// its user is gone or deactivated (404, empty body).
	ErrTwoFactorNotFound = errors.New("auth: two-factor login not found")
	// ErrInvalidTwoFactorCode: the code is wrong, replayed or expired (421).
	ErrInvalidTwoFactorCode = errors.New("auth: invalid two-factor code")
)

const (
	// defaultTwoFactorIDTTL is FusionAuth's twoFactorIdTimeToLiveInSeconds.
	defaultTwoFactorIDTTL = 300 * time.Second
	// maxTwoFactorAttempts wrong codes end a twoFactorId, whatever the
	// lockout says: a pending login is not a place to guess (the user logs
	// in again; each new id costs a password check).
	maxTwoFactorAttempts = 5
)

// pendingLogin is what a twoFactorId remembers of the first step, kept
// as its challenge's Data.
type pendingLogin struct {
	ApplicationID string             `json:"applicationId,omitempty"`
	IPAddress     string             `json:"ipAddress,omitempty"`
	UserAgent     string             `json:"userAgent,omitempty"`
	NoJWT         bool               `json:"noJWT,omitempty"`
	Device        storage.DeviceInfo `json:"device"`
	DPoPJKT       string             `json:"dpopJkt,omitempty"`
	AuthType      string             `json:"authType,omitempty"`
	// PasswordReason is what the password rules said when the password
	// was typed (a 203 to answer after the second factor).
	PasswordReason string         `json:"passwordReason,omitempty"`
	State          map[string]any `json:"state,omitempty"`
	// The identity provider of a federated first step (IssueFederated):
	// the second step's event names the provider.
	IdentityProviderID   string `json:"identityProviderId,omitempty"`
	IdentityProviderName string `json:"identityProviderName,omitempty"`
	// OneTimePassword is what the oneTimePassword of a first step allowed
	// (issueOneTimePassword issues it after the second factor).
	OneTimePassword *storage.IdentifierData `json:"oneTimePassword,omitempty"`
	// The emailed code of this login (POST /api/two-factor/send): only its
	// hash, the method it went to and when it stops working.
	EmailMethodID    string `json:"emailMethodId,omitempty"`
	EmailCodeHash    []byte `json:"emailCodeHash,omitempty"`
	EmailCodeExpires int64  `json:"emailCodeExpires,omitempty"`
	// TrustChallenge is the hash of a step-up's trustChallenge
	// (TrustChallengeHash), which binds the trustToken its completion issues.
	TrustChallenge []byte `json:"trustChallenge,omitempty"`
}

// TwoFactorLoginRequest is POST /api/two-factor/login.
type TwoFactorLoginRequest struct {
	TwoFactorID   string
	Code          string
	TrustComputer bool
	IPAddress     string
	// LockoutIP is the address a wrong code is charged to (LoginRequest's
	// rule: the connection's unless an API key vouches for IPAddress).
	// Empty: IPAddress, else the first step's.
	LockoutIP string
	UserAgent string // the second step's; the first step's when empty
	Device    storage.DeviceInfo
	DPoPJKT   string
	// TrustToken asks for a trustToken with the tokens (POST
	// /api/two-factor/login answers one, as FusionAuth's does; the hosted
	// page has no use for it).
	TrustToken bool
}

// startTwoFactor stores a pending login for user and returns its
// twoFactorId (256 bits; only its hash is stored).
func (s *Service) startTwoFactor(ctx context.Context, req LoginRequest, tenant storage.Tenant, app storage.Application,
	user storage.User, passwordReason string, now time.Time) (string, error) {
	p := pendingLogin{ApplicationID: app.ID, IPAddress: req.IPAddress, UserAgent: req.UserAgent, NoJWT: req.NoJWT, Device: req.Device,
		DPoPJKT: req.DPoPJKT, AuthType: req.authType, PasswordReason: passwordReason}
	if req.provider != nil {
		p.IdentityProviderID, p.IdentityProviderName = req.provider.ID, req.provider.Name
	}
	if d := req.oneTimePassword; d != nil {
		p.OneTimePassword, p.State = d, d.State
	}
	raw := newRefreshValue()
	if err := s.storePending(ctx, hashToken(raw), p, user, now); err != nil {
		return "", err
	}
	return raw, nil
}

// storePending stores p as the challenge of the twoFactorId whose hash is
// hash (a login's 242, or a step-up's start).
func (s *Service) storePending(ctx context.Context, hash []byte, p pendingLogin, user storage.User, now time.Time) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	c := storage.Challenge{Hash: hash, Kind: storage.ChallengeTwoFactorLogin, UserID: user.ID,
		TenantID: user.TenantID, CreatedAt: now, ExpiresAt: now.Add(defaultTwoFactorIDTTL), Data: data}
	if err := s.cfg.Store.CreateChallenge(ctx, c); err != nil {
		return fmt.Errorf("auth: store twoFactorId: %w", err)
	}
	return nil
}

// pending is a live twoFactorId with its user, tenant and application.
type pending struct {
	hash   []byte
	login  pendingLogin
	user   storage.User
	tenant storage.Tenant
	app    storage.Application
}

// loadPending resolves a twoFactorId; every way of not finding it is
// ErrTwoFactorNotFound.
func (s *Service) loadPending(ctx context.Context, twoFactorID string, now time.Time) (pending, error) {
	var p pending
	if twoFactorID == "" || len(twoFactorID) > maxRefreshTokenLen {
		return p, ErrTwoFactorNotFound
	}
	p.hash = hashToken(twoFactorID)
	c, err := s.cfg.Store.GetChallenge(ctx, storage.ChallengeTwoFactorLogin, p.hash, now)
	if errors.Is(err, storage.ErrNotFound) {
		return p, ErrTwoFactorNotFound
	}
	if err != nil {
		return p, fmt.Errorf("auth: read twoFactorId: %w", err)
	}
	if c.Attempts >= maxTwoFactorAttempts {
		// Its five answers were all reserved (TwoFactorLogin): nothing more
		// is checked or sent for it.
		return p, ErrTwoFactorNotFound
	}
	if err := json.Unmarshal(c.Data, &p.login); err != nil {
		return p, fmt.Errorf("auth: decode twoFactorId: %w", err)
	}
	p.user, err = s.cfg.Store.GetUser(ctx, c.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !p.user.Active) {
		return p, ErrTwoFactorNotFound
	}
	if err != nil {
		return p, fmt.Errorf("auth: get user: %w", err)
	}
	if p.tenant, err = s.tenant(ctx, p.user.TenantID); err != nil {
		return p, fmt.Errorf("auth: get tenant: %w", err)
	}
	if p.login.ApplicationID != "" {
		p.app, err = s.application(ctx, p.login.ApplicationID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !appActive(p.app)) {
			return p, ErrTwoFactorNotFound
		}
		if err != nil {
			return p, fmt.Errorf("auth: get application: %w", err)
		}
	}
	return p, nil
}

// TwoFactorLogin completes a login answered 242. A wrong code answers
// ErrInvalidTwoFactorCode, counts toward the tenant's lockout like a wrong
// password and toward the twoFactorId's attempt cap; the id survives a
// wrong code (FusionAuth's hosted page lets the user retry) and is
// consumed by the right one, so it is single use. The cap is reserved
// before the code is checked, as a password login reserves before its hash:
// of any number of concurrent requests with one id, at most
// maxTwoFactorAttempts get their code checked, on any number of nodes.
func (s *Service) TwoFactorLogin(ctx context.Context, req TwoFactorLoginRequest) (Tokens, error) {
	now := s.cfg.Now()
	p, err := s.loadPending(ctx, req.TwoFactorID, now)
	if err != nil {
		return Tokens{}, err
	}
	fail := event{name: evTwoFactorFailure, level: slog.LevelInfo, userID: p.user.ID, appID: p.app.ID, ip: req.IPAddress}
	// The code is charged to the user's lockout counters before it is
	// checked, as a password is before its hash: a locked account's code is
	// never checked, and concurrent codes, over any number of pending
	// logins (a right password answered 242 costs nothing), get at most the
	// threshold's number of checks. A code not checked gives its charge
	// back; a right one's is refunded with the login's write.
	ch, err := s.reserve(ctx, p.tenant, p.user.ID, lockoutIP(req.LockoutIP, req.IPAddress, p.login.IPAddress), fail)
	if err != nil {
		return Tokens{}, err
	}
	defer ch.settled()
	// One of the id's answers is spent before the code is checked; a check
	// that fails (the database down) keeps it spent: the user has others,
	// and a new login gives five more.
	if _, err := s.cfg.Store.ReserveChallengeAttempt(ctx, storage.ChallengeTwoFactorLogin, p.hash, now, maxTwoFactorAttempts); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Tokens{}, s.notHashed(ctx, ch, ErrTwoFactorNotFound)
		}
		return Tokens{}, s.notHashed(ctx, ch, fmt.Errorf("auth: reserve two-factor attempt: %w", err))
	}
	ok, err := s.checkSecondFactor(ctx, p, req.Code, now)
	if err != nil {
		return Tokens{}, s.notHashed(ctx, ch, err)
	}
	if !ok {
		fail.outcome = "wrong_code"
		s.emit(ctx, fail)
		locked, err := s.settleFailure(ctx, ch, nil)
		if err != nil {
			return Tokens{}, err
		}
		s.noteLock(ctx, locked, fail)
		return Tokens{}, ErrInvalidTwoFactorCode
	}
	// The id is spent before anything is issued: of two requests racing
	// with one id (and two good codes), one gets tokens.
	if _, err := s.cfg.Store.ConsumeChallenge(ctx, storage.ChallengeTwoFactorLogin, p.hash, now); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Tokens{}, s.notHashed(ctx, ch, ErrTwoFactorNotFound)
		}
		return Tokens{}, s.notHashed(ctx, ch, fmt.Errorf("auth: consume twoFactorId: %w", err))
	}
	ip := req.IPAddress
	if ip == "" {
		ip = p.login.IPAddress
	}
	ua := req.UserAgent
	if ua == "" {
		ua = p.login.UserAgent
	}
	lr := LoginRequest{ApplicationID: p.app.ID, IPAddress: ip, UserAgent: ua, NoJWT: p.login.NoJWT, Device: p.login.Device,
		DPoPJKT: req.DPoPJKT, authType: p.login.AuthType}
	// The outcomes after the second factor (409 for a lock taken since the
	// first step, 203, 212), as FusionAuth answers them from
	// /api/two-factor/login; a federated first step (its authType: also a
	// federated SSO session's step, ResumeSession) is judged as
	// IssueFederated judges it, and its login is recorded as that one's.
	if id := p.login.IdentityProviderID; id != "" {
		lr.LoginID, lr.provider = p.user.Email, &storage.IdentityProvider{ID: id, Name: p.login.IdentityProviderName}
	}
	facts := loginFacts{req: lr, tenant: p.tenant, app: p.app, user: p.user, now: now, secondFactorDone: true,
		withoutPassword: true, passwordReason: p.login.PasswordReason}
	if facts.preventions, err = s.loginPreventions(ctx, p.user.ID, now); err != nil {
		return Tokens{}, s.notHashed(ctx, ch, err)
	}
	if rule, w := withheld(facts); w != nil {
		return Tokens{}, s.withhold(ctx, facts, rule, w, ch)
	}
	var out Tokens
	if d := p.login.OneTimePassword; d != nil {
		out, err = s.issueOneTimePassword(ctx, lr, p.tenant, p.app, p.user, *d, ch, now)
	} else {
		out, err = s.grantLogin(ctx, lr, p.tenant, p.app, p.user, ch, now)
	}
	if errors.Is(err, ErrRegistrationRequired) {
		if serr := s.settleRefused(ctx, ch); serr != nil {
			return Tokens{}, errors.Join(err, serr)
		}
	} else if err != nil {
		// The code was right and the login ended without its tokens: no
		// guess to count, unless the login's write happened after all
		// (passwordLogin's rule).
		if rerr := s.giveBackUnlessLoggedIn(ctx, *ch.res, p.user.ID, now); rerr != nil {
			return Tokens{}, errors.Join(err, rerr)
		}
	}
	if err != nil {
		return Tokens{}, err
	}
	out.State, out.AuthType, out.SecondFactor = p.login.State, p.login.AuthType, true
	if req.TrustToken {
		if out.TrustToken, err = s.issueTrustToken(ctx, p, now); err != nil {
			return Tokens{}, err
		}
	}
	if req.TrustComputer {
		if err := s.trustDevice(ctx, p.tenant, p.app, p.user, now, &out); err != nil {
			return Tokens{}, err
		}
	}
	return out, nil
}

// checkSecondFactor tries code as a recovery code (its shape says so),
// else against each authenticator method, then the emailed code of this
// login.
func (s *Service) checkSecondFactor(ctx context.Context, p pending, code string, now time.Time) (bool, error) {
	if h, ok := RecoveryHash(code); ok {
		err := s.cfg.Store.ConsumeRecoveryCode(ctx, p.user.ID, h)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	methods, err := s.cfg.Store.ListTwoFactorMethods(ctx, p.user.ID)
	if err != nil {
		return false, fmt.Errorf("auth: list two-factor methods: %w", err)
	}
	for _, m := range methods {
		if m.Method != MethodAuthenticator {
			continue
		}
		if ok, err := s.checkTOTP(ctx, m, code, now); ok || err != nil {
			return ok, err
		}
	}
	l := p.login
	if l.EmailCodeHash == nil || now.UnixMilli() >= l.EmailCodeExpires {
		return false, nil
	}
	if !sameSecret(CodeHash("login:"+string(p.hash), code), l.EmailCodeHash) {
		return false, nil
	}
	if l.EmailMethodID == "" {
		return true, nil // a step-up's own code, sent by no method
	}
	// The method the code was mailed to must still be the user's: a code
	// sent before its removal is a wrong code (421), not a second factor.
	err = s.cfg.Store.MarkTwoFactorUsed(ctx, p.user.ID, l.EmailMethodID, now)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("auth: mark method used: %w", err)
	}
	return true, nil
}

// Two-factor method names (accounts spec §10.2).
const (
	MethodAuthenticator = "authenticator"
	MethodEmail         = "email"
)
