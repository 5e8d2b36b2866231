package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LoginSessionTTL is how long a login session on the hosted page (and its
// single sign-on cookie) lasts. Fixed, not sliding: a stolen SSO cookie
// cannot be kept alive by use.
const LoginSessionTTL = 8 * time.Hour

// ErrNoSession: the SSO cookie names no live session (unknown, ended,
// expired, or its user can no longer log in).
var ErrNoSession = errors.New("auth: no login session")

// SessionStart is a login on the hosted page that ends in a login session.
type SessionStart struct {
	User     storage.User
	AuthType string // FusionAuth's authenticationType of the login
	// SecondFactor: the login completed a second factor
	// (Tokens.SecondFactor); ResumeSession reads it.
	SecondFactor bool
	// Cookie: the application opted in to single sign-on, so the session
	// gets an SSO cookie value.
	Cookie bool
}

// StartSession records a login on the hosted page: the session the id
// token's sid names. With st.Cookie, it also returns the single sign-on
// cookie value (only its hash is stored).
func (s *Service) StartSession(ctx context.Context, st SessionStart) (storage.LoginSession, string, error) {
	now := s.cfg.Now()
	ls := storage.LoginSession{ID: newID(), TenantID: st.User.TenantID, UserID: st.User.ID, AuthTime: now,
		AuthType: st.AuthType, SecondFactor: st.SecondFactor, CreatedAt: now, ExpiresAt: now.Add(LoginSessionTTL)}
	var raw string
	if st.Cookie {
		raw = newRefreshValue()
		ls.Hash = hashToken(raw)
	}
	if err := s.cfg.Store.CreateLoginSession(ctx, ls); err != nil {
		return storage.LoginSession{}, "", fmt.Errorf("auth: create login session: %w", err)
	}
	return ls, raw, nil
}

// SessionResume is a single sign-on hit: the live session of an SSO
// cookie (Session) offered to a validated authorize request.
type SessionResume struct {
	Session storage.LoginSession
	User    storage.User
	// TwoFactorTrustID is the device's trust (the fusionauth.trust cookie).
	TwoFactorTrustID     string
	IPAddress, UserAgent string
	// Interactive: the user can be shown a page (not prompt=none); only
	// then is a pending login started.
	Interactive bool
}

// ResumeSession decides whether a single sign-on session may sign its user
// in to a's application at once. It may, unless the rule of a password
// login (secondFactorMethods: the application's login policy else the
// tenant's, the user's methods, this device's trust under the
// application's trustPolicy) asks this user for a second factor now and
// the session's login did not complete one: a session started where no
// second factor was asked must not open an application that asks for one.
// Then the answer is a *Withheld of kind WithheldTwoFactor with the methods
// and, when r.Interactive, the twoFactorId of a pending login of the
// session's user for this application; TwoFactorLogin completes it like
// the second step of a password login (judged, after the code, as the
// session's own login was: a federated session's as IssueFederated, by
// its authType), and the hosted page then starts a new session that
// records the factor.
func (s *Service) ResumeSession(ctx context.Context, a Authorization, r SessionResume) error {
	if a.App.VerifyRegistration {
		// As a password login of this application: an unverified
		// registration gets no code (213), whatever session the user has.
		regs, err := s.cfg.Store.ListRegistrations(ctx, r.User.ID)
		if err != nil {
			return fmt.Errorf("auth: registrations of a session's user: %w", err)
		}
		if i := slices.IndexFunc(regs, func(g storage.Registration) bool { return g.ApplicationID == a.App.ID }); i >= 0 &&
			unverifiedRegistration(a.App, &regs[i]) {
			s.emit(ctx, event{name: evLoginWithheld, level: slog.LevelInfo, userID: r.User.ID, appID: a.App.ID,
				ip: r.IPAddress, outcome: "sso_" + WithheldRegistrationUnverified})
			return &Withheld{Kind: WithheldRegistrationUnverified, User: r.User}
		}
	}
	if r.Session.SecondFactor {
		return nil
	}
	tenant, err := s.tenant(ctx, a.App.TenantID)
	if err != nil {
		return fmt.Errorf("auth: get tenant %q: %w", a.App.TenantID, err)
	}
	req := LoginRequest{ApplicationID: a.App.ID, IPAddress: r.IPAddress, UserAgent: r.UserAgent, NoJWT: true, OAuth: true,
		TwoFactorTrustID: r.TwoFactorTrustID, authType: r.Session.AuthType}
	methods, err := s.secondFactorMethods(ctx, req, tenant, a.App, r.User)
	if err != nil || len(methods) == 0 {
		return err
	}
	w := needsSecondFactor(loginFacts{twoFactor: methods}) // the methods without their secrets
	w.Kind, w.User = WithheldTwoFactor, r.User
	s.emit(ctx, event{name: evLoginWithheld, level: slog.LevelInfo, userID: r.User.ID, appID: a.App.ID,
		ip: r.IPAddress, outcome: "sso_" + WithheldTwoFactor})
	if !r.Interactive {
		return w
	}
	if w.TwoFactorID, err = s.startTwoFactor(ctx, req, tenant, a.App, r.User, "", s.cfg.Now()); err != nil {
		return err
	}
	return w
}

// Session returns the live session of an SSO cookie value whose user may
// still log in.
func (s *Service) Session(ctx context.Context, raw string) (storage.LoginSession, storage.User, error) {
	if raw == "" || len(raw) > maxRefreshTokenLen {
		return storage.LoginSession{}, storage.User{}, ErrNoSession
	}
	ls, err := s.cfg.Store.FindLoginSessionByHash(ctx, hashToken(raw))
	if errors.Is(err, storage.ErrNotFound) {
		return ls, storage.User{}, ErrNoSession
	}
	if err != nil {
		return ls, storage.User{}, fmt.Errorf("auth: find login session: %w", err)
	}
	now := s.cfg.Now()
	if !ls.RevokedAt.IsZero() || !now.Before(ls.ExpiresAt) {
		return ls, storage.User{}, ErrNoSession
	}
	u, err := s.cfg.Store.GetUser(ctx, ls.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !userCanLogIn(u, now)) {
		return ls, u, ErrNoSession
	}
	return ls, u, err
}

// EndSession ends a login session and revokes every token issued under it
// (RP-initiated logout; FusionAuth keeps the refresh tokens, latchkey does
// not: the user asked to be logged out), and queues an OpenID Connect
// Back-Channel Logout notice for every application that received tokens in
// it and registered a backchannelLogoutURL, in the same transaction. It
// returns the revoked tokens. An unknown session is not an error.
func (s *Service) EndSession(ctx context.Context, id, ip string) ([]storage.RefreshToken, error) {
	if id == "" {
		return nil, nil
	}
	var evs []storage.OutboxMessage
	revoked, err := s.cfg.Store.EndLoginSession(ctx, id, s.cfg.Now(), "logout", s.sessionEvents(ctx, ip, s.backchannelNotices(ctx, id), &evs))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: end login session: %w", err)
	}
	s.cfg.Events.Committed(evs)
	ev := event{name: evLogout, level: slog.LevelInfo, ip: ip, outcome: "session_ended"}
	if len(revoked) > 0 {
		ev.userID = revoked[0].UserID
	}
	s.emit(ctx, ev)
	return revoked, nil
}

// LoginSession returns a session by id (the sid of an id token).
func (s *Service) LoginSession(ctx context.Context, id string) (storage.LoginSession, error) {
	return s.cfg.Store.GetLoginSession(ctx, id)
}

// userCanLogIn: active and not past user.expiry.
func userCanLogIn(u storage.User, now time.Time) bool {
	return u.Active && (u.Expiry == 0 || now.UnixMilli() < u.Expiry)
}
