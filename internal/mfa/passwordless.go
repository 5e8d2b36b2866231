package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Passwordless login (FusionAuth passwordless.mdx; accounts spec §12): a
// code (256 bits) that logs its user in once, within 180 s. Only its hash
// is stored. Codes are rate-limited per user, counted in the database so
// every node shares the limit, and an unknown login id is never revealed
// to a caller without an API key.

const (
	passwordlessTTL = 180 * time.Second
	// passwordlessLimit codes per user per passwordlessWindow (FusionAuth's
	// rateLimitConfiguration.sendPasswordless defaults: 5 per 60 s), on
	// whatever the tenant says: mail to someone else's inbox is a nuisance
	// an anonymous caller could otherwise repeat without end.
	passwordlessLimit  = 5
	passwordlessWindow = 60 * time.Second
	maxPasswordlessTry = 5
)

// ErrRateLimited: too many codes for this user just now (429).
var ErrRateLimited = errors.New("mfa: rate limited")

// ErrPasswordlessNotFound: the code is unknown, expired or used (404).
var ErrPasswordlessNotFound = errors.New("mfa: passwordless code not found")

// PasswordlessStart is POST /api/passwordless/start.
type PasswordlessStart struct {
	ApplicationID, LoginID, LoginStrategy string
	State                                 map[string]any
	// HasAPIKey: FusionAuth's form, which answers the code. Without a key
	// (latchkey's extension for a SPA) the code is emailed and the answer
	// is the same whether or not the login id names anyone.
	HasAPIKey bool
}

// Started is the answer with an API key.
type Started struct {
	Code, OneTimeCode string
}

// passwordlessData is what a code remembers.
type passwordlessData struct {
	ApplicationID   string         `json:"applicationId"`
	State           map[string]any `json:"state,omitempty"`
	OneTimeCodeHash []byte         `json:"oneTimeCodeHash,omitempty"`
	OneTimeCode     string         `json:"-"`
	// Sent: the code was emailed (keyless start, or /send); a second send
	// is refused so one start cannot fill an inbox.
	Sent bool `json:"sent,omitempty"`
}

// StartPasswordless makes a code. With an API key the code is answered
// (404 for an unknown login id, as FusionAuth). Without one the request
// only stores a job (PasswordlessQueue) and answers nothing: the answer and
// the work on the request path are the same whether the login id names an
// account or not, and the lookup, the per-user limit, the code and its mail
// happen in the job's worker (RunPasswordlessJob), where a caller cannot
// time them — as keyless forgot password does (manage.Accounts.RunJob).
func (s *Service) StartPasswordless(ctx context.Context, sc manage.Scope, mailer Mailer, req PasswordlessStart) (Started, error) {
	inv := &manage.Invalid{}
	if req.ApplicationID == "" {
		inv.Field("missing", "applicationId", "You must specify the [applicationId] property.")
	}
	if strings.TrimSpace(req.LoginID) == "" {
		inv.Field("blank", "loginId", "You must specify the [loginId] property.")
	}
	if err := inv.Err(); err != nil {
		return Started{}, err
	}
	app, err := s.passwordlessApp(ctx, sc, req.ApplicationID)
	if err != nil {
		return Started{}, err
	}
	if !req.HasAPIKey {
		return Started{}, s.enqueuePasswordless(ctx, passwordlessJob{TenantID: s.tenantOf(sc), ApplicationID: app.ID,
			LoginID: req.LoginID, LoginStrategy: req.LoginStrategy, State: req.State})
	}
	user, err := s.findUser(ctx, sc, "", req.LoginID)
	if err != nil {
		return Started{}, err
	}
	code, d, err := s.issuePasswordless(ctx, app, user, req.LoginStrategy, req.State, nil)
	if err != nil {
		return Started{}, err
	}
	return Started{Code: code, OneTimeCode: d.OneTimeCode}, nil
}

// codeMail is where issuePasswordless sends the code: the mail path, and
// the id of the mail (the same on every run of one job).
type codeMail struct {
	mailer Mailer
	id     string
}

// issuePasswordless makes a code and stores it counted against user's
// limit (ErrRateLimited past it). With mail the code's email is stored in
// the same transaction (Store.IssueChallenge): the count, the code and its
// mail commit together or not at all, and a mail id stored already
// (storage.ErrConflict) stores and counts nothing.
func (s *Service) issuePasswordless(ctx context.Context, app storage.Application, user storage.User, strategy string,
	state map[string]any, mail *codeMail) (string, passwordlessData, error) {
	d := passwordlessData{ApplicationID: app.ID, State: state, Sent: mail != nil}
	if strategy == "FormField" {
		d.OneTimeCode = auth.NumericCode(6)
		d.OneTimeCodeHash = auth.CodeHash("passwordless", d.OneTimeCode)
	}
	code := auth.NewSecretValue()
	var msgs []storage.OutboxMessage
	if mail != nil {
		msg, ok, err := s.composeCode(ctx, mail.mailer, app, user, code, d)
		if err != nil {
			return "", passwordlessData{}, err
		}
		if ok {
			msg.ID = mail.id
			msgs = append(msgs, msg)
		}
	}
	b, _ := json.Marshal(d)
	now := s.now()
	n, err := s.Store.IssueChallenge(ctx, storage.Challenge{Hash: hashString("passwordless:" + code), Kind: storage.ChallengePasswordless,
		UserID: user.ID, TenantID: user.TenantID, CreatedAt: now, ExpiresAt: now.Add(passwordlessTTL), Data: b},
		storage.RateLimit{Key: "passwordless:" + user.ID, Window: passwordlessWindow, Max: passwordlessLimit}, msgs...)
	if err != nil {
		return "", passwordlessData{}, err
	}
	if n > passwordlessLimit {
		s.event(ctx, "passwordless_rate_limited", user.ID, "refused")
		return "", passwordlessData{}, ErrRateLimited
	}
	if len(msgs) > 0 {
		mail.mailer.Queued()
	}
	return code, d, nil
}

// passwordlessApp is the application, which must allow passwordless login.
func (s *Service) passwordlessApp(ctx context.Context, sc manage.Scope, id string) (storage.Application, error) {
	app, err := storage.Application{}, storage.ErrNotFound
	if manage.ValidID(id) { // every application id is a UUID; nothing else reaches a query
		app, err = s.Store.GetApplication(ctx, id)
	}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!app.Active || !sc.Sees(app.TenantID))) {
		return app, invalid("invalid", "applicationId", "The [applicationId] property does not name an active application.")
	}
	if err != nil {
		return app, err
	}
	if app.PasswordlessConfiguration == nil || !app.PasswordlessConfiguration.Enabled {
		inv := &manage.Invalid{}
		inv.General("PasswordlessDisabled", "Passwordless login is not enabled for this application (passwordlessConfiguration.enabled).")
		return app, inv
	}
	return app, nil
}

// SendPasswordless is POST /api/passwordless/send {code}: emails a code
// made by an API-key start. Any well-formed request answers 200 (an
// unknown code too, as FusionAuth); a code is sent once.
func (s *Service) SendPasswordless(ctx context.Context, mailer Mailer, code string) error {
	if code == "" || len(code) > 256 {
		return invalid("blank", "code", "You must specify the [code] property.")
	}
	key := hashString("passwordless:" + code)
	now := s.now()
	c, err := s.Store.GetChallenge(ctx, storage.ChallengePasswordless, key, now)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var d passwordlessData
	if json.Unmarshal(c.Data, &d) != nil || d.Sent || d.OneTimeCodeHash != nil {
		return nil // sent already; a FormField code's digits are only known to the start's caller
	}
	d.Sent = true
	b, _ := json.Marshal(d)
	if err := s.Store.UpdateChallengeData(ctx, storage.ChallengePasswordless, key, b, now); err != nil {
		return nil
	}
	user, err := s.Store.GetUser(ctx, c.UserID)
	if err != nil {
		return nil
	}
	app, _ := s.Store.GetApplication(ctx, d.ApplicationID)
	if err := s.mailCode(ctx, mailer, app, user, code, d); err != nil {
		// The caller's answer must not differ by it.
		s.log().ErrorContext(ctx, "passwordless code not sent", "user_id", user.ID, "err", err)
	}
	return nil
}

// mailCode sends the passwordless email. Without a mail path or an
// address nothing can be sent: that is logged, not an error.
func (s *Service) mailCode(ctx context.Context, mailer Mailer, app storage.Application, user storage.User, code string, d passwordlessData) error {
	if mailer == nil || user.Email == "" {
		s.log().WarnContext(ctx, "passwordless code not sent: no mail path or no address", "user_id", user.ID)
		return nil
	}
	tenant, err := s.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return err
	}
	return mailer.SendTemplate(ctx, tenant, app, MailPasswordless, user, user.Email, codeMailData(code, d))
}

// composeCode renders the passwordless email without storing it.
func (s *Service) composeCode(ctx context.Context, mailer Mailer, app storage.Application, user storage.User, code string,
	d passwordlessData) (storage.OutboxMessage, bool, error) {
	tenant, err := s.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return storage.OutboxMessage{}, false, err
	}
	return mailer.ComposeTemplate(ctx, tenant, app, MailPasswordless, user, user.Email, codeMailData(code, d))
}

// codeMailData is the passwordless email's model.
func codeMailData(code string, d passwordlessData) map[string]any {
	data := map[string]any{"code": code}
	if d.OneTimeCode != "" {
		data["oneTimeCode"] = d.OneTimeCode
	}
	if d.State != nil {
		data["state"] = d.State
	}
	return data
}

// PasswordlessLogin is POST /api/passwordless/login.
type PasswordlessLogin struct {
	Code, OneTimeCode, ApplicationID, IPAddress, DPoPJKT, TwoFactorTrustID string
	// LockoutIP: auth.AuthenticatedLogin's.
	LockoutIP string
	UserAgent string
	Device    storage.DeviceInfo
	NoJWT     bool
}

// LoginPasswordless spends the code and logs its user in through auth
// (the one issuance path); a user with two-factor methods gets 242.
func (s *Service) LoginPasswordless(ctx context.Context, req PasswordlessLogin) (auth.Tokens, error) {
	if req.Code == "" || len(req.Code) > 256 {
		return auth.Tokens{}, ErrPasswordlessNotFound
	}
	key := hashString("passwordless:" + req.Code)
	now := s.now()
	// Every answer is counted before the challenge is even read (as the
	// two-factor step does), so of any number of concurrent answers to a
	// FormField code, on any number of nodes, at most maxPasswordlessTry
	// are ever compared; a link code is spent by its first login anyway.
	if _, err := s.Store.ReserveChallengeAttempt(ctx, storage.ChallengePasswordless, key, now, maxPasswordlessTry); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return auth.Tokens{}, ErrPasswordlessNotFound
		}
		return auth.Tokens{}, fmt.Errorf("mfa: reserve passwordless attempt: %w", err)
	}
	c, err := s.Store.GetChallenge(ctx, storage.ChallengePasswordless, key, now)
	if errors.Is(err, storage.ErrNotFound) {
		return auth.Tokens{}, ErrPasswordlessNotFound
	}
	if err != nil {
		return auth.Tokens{}, err
	}
	var d passwordlessData
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return auth.Tokens{}, err
	}
	if d.OneTimeCodeHash != nil && !equalHash(d.OneTimeCodeHash, auth.CodeHash("passwordless", req.OneTimeCode)) {
		return auth.Tokens{}, ErrPasswordlessNotFound
	}
	if req.ApplicationID != "" && !strings.EqualFold(req.ApplicationID, d.ApplicationID) {
		return auth.Tokens{}, ErrPasswordlessNotFound
	}
	if _, err := s.Store.ConsumeChallenge(ctx, storage.ChallengePasswordless, key, now); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return auth.Tokens{}, ErrPasswordlessNotFound
		}
		return auth.Tokens{}, err
	}
	app, err := s.Store.GetApplication(ctx, d.ApplicationID)
	if err != nil || app.PasswordlessConfiguration == nil || !app.PasswordlessConfiguration.Enabled {
		return auth.Tokens{}, ErrPasswordlessNotFound
	}
	return s.Auth.LoginAuthenticated(ctx, auth.AuthenticatedLogin{UserID: c.UserID, ApplicationID: d.ApplicationID,
		IPAddress: req.IPAddress, LockoutIP: req.LockoutIP, UserAgent: req.UserAgent, Device: req.Device, NoJWT: req.NoJWT, DPoPJKT: req.DPoPJKT,
		TwoFactorTrustID: req.TwoFactorTrustID, Method: auth.AuthPasswordless, State: d.State})
}

func equalHash(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
