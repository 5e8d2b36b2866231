package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Enrolment of two-factor methods (accounts spec §10.1–§10.5). A method is
// enabled only with a code that proves possession of it; the TOTP secret
// is sealed (auth.SealSecret) and never returned again; recovery codes are
// returned once, with the first method, and stored as hashes.

// ErrInvalidCode: the code proving a method is wrong (421).
var ErrInvalidCode = auth.ErrInvalidTwoFactorCode

// methodIDAlphabet: FusionAuth's method ids are four upper-case
// alphanumerics (2KSZ, KLRT).
const methodIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Secret is GET /api/two-factor/secret: a new secret in both forms. Nothing
// is stored until a code proves the user's app has it.
func (s *Service) Secret() (secret, secretBase32 string) { return auth.NewTOTPSecret() }

// EnableRequest is POST /api/user/two-factor[/{userId}].
type EnableRequest struct {
	UserID       string
	Method       string
	Code         string
	Secret       string
	SecretBase32 string
	Email        string
	Name         string
}

// Enabled is the answer: recovery codes only with the user's first method.
type Enabled struct {
	Method        storage.TwoFactorMethod
	RecoveryCodes []string
}

// Enable validates and stores a method.
func (s *Service) Enable(ctx context.Context, scope manage.Scope, req EnableRequest) (Enabled, error) {
	user, err := s.user(ctx, scope, req.UserID)
	if err != nil {
		return Enabled{}, err
	}
	tenant, err := s.Store.GetTenant(ctx, user.TenantID)
	if err != nil {
		return Enabled{}, err
	}
	secret, inv := s.checkEnable(req, tenant.MultiFactor())
	if err := inv.Err(); err != nil {
		return Enabled{}, err
	}
	methods, err := s.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return Enabled{}, err
	}
	m := storage.TwoFactorMethod{ID: newMethodID(methods), UserID: user.ID, Method: req.Method, Name: req.Name,
		InsertedAt: s.now()}
	switch req.Method {
	case auth.MethodAuthenticator:
		step, ok := auth.MatchTOTP(secret, req.Code, s.now())
		if !ok {
			return Enabled{}, ErrInvalidCode
		}
		// The enrolling code is spent: it cannot also pass a login.
		m.LastStep, m.LastUsedAt = step, s.now()
		m.Secret = s.Auth.SealSecret(user.ID, m.ID, secret)
	case auth.MethodEmail:
		if err := s.consumeEnableCode(ctx, user, req.Email, req.Code); err != nil {
			return Enabled{}, err
		}
		m.Email = req.Email
	}
	var out Enabled
	var hashes [][]byte
	if len(methods) == 0 {
		out.RecoveryCodes, hashes = auth.NewRecoveryCodes()
	}
	if err := s.Store.AddTwoFactorMethod(ctx, m, hashes); err != nil {
		return Enabled{}, fmt.Errorf("mfa: add method: %w", err)
	}
	m.Secret = nil
	out.Method = m
	s.event(ctx, "two_factor_method_add", user.ID, req.Method)
	if len(methods) == 0 && tenant.JWTConfiguration.RefreshTokenRevocationPolicy.OnMultiFactorEnable {
		if _, err := s.Auth.RevokeSessions(ctx, auth.Revoked{TenantID: user.TenantID, User: &user,
			Filter: storage.RefreshTokenFilter{UserID: user.ID}}, "multi_factor_enable"); err != nil {
			return Enabled{}, err
		}
	}
	return out, nil
}

// checkEnable reports FusionAuth's field errors and returns the secret.
func (s *Service) checkEnable(req EnableRequest, cfg storage.TenantMultiFactorConfiguration) (string, *manage.Invalid) {
	inv := &manage.Invalid{}
	if strings.TrimSpace(req.Code) == "" {
		inv.Field("blank", "code", "You must specify the [code] property.")
	}
	var secret string
	switch req.Method {
	case "":
		inv.Field("blank", "method", "You must specify the [method] property: authenticator or email.")
	case auth.MethodAuthenticator:
		if !cfg.Authenticator.Enabled {
			inv.Field("disabled", "method", "The authenticator method is disabled in the tenant's multiFactorConfiguration.")
		}
		secret = s.secretOf(req, inv)
	case auth.MethodEmail:
		if !cfg.Email.Enabled {
			inv.Field("disabled", "method", "The email method is disabled in the tenant's multiFactorConfiguration.")
		}
		if strings.TrimSpace(req.Email) == "" {
			inv.Field("blank", "email", "You must specify the [email] property for the email method.")
		}
	default:
		inv.Field("invalid", "method", "The [method] property must be authenticator or email.")
	}
	if len(req.Name) > 255 {
		inv.Field("tooLong", "name", "The [name] property is longer than 255 characters.")
	}
	return secret, inv
}

// secretOf takes secret or secretBase32Encoded (both must agree if both
// are given).
func (s *Service) secretOf(req EnableRequest, inv *manage.Invalid) string {
	switch {
	case req.Secret == "" && req.SecretBase32 == "":
		inv.Field("blank", "secret", "You must specify the [secret] or [secretBase32Encoded] property.")
	case req.SecretBase32 != "":
		v, ok := auth.SecretFromBase32(req.SecretBase32)
		if !ok {
			inv.Field("invalid", "secretBase32Encoded", "The [secretBase32Encoded] property is not a base32 encoded secret.")
		} else if req.Secret != "" && req.Secret != v {
			inv.Field("invalid", "secretBase32Encoded", "The [secret] and [secretBase32Encoded] properties do not agree.")
		}
		return v
	case len(req.Secret) < 10 || len(req.Secret) > 64 || strings.ContainsFunc(req.Secret, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		inv.Field("invalid", "secret", "The [secret] property must be 10 to 64 printable ASCII characters.")
	}
	return req.Secret
}

// newMethodID draws a four-character id no method of the user has.
func newMethodID(existing []storage.TwoFactorMethod) string {
	for {
		b := []byte(auth.NumericCode(8))
		var id strings.Builder
		for i := 0; i < 8; i += 2 {
			n := int(b[i]-'0')*10 + int(b[i+1]-'0')
			id.WriteByte(methodIDAlphabet[n%len(methodIDAlphabet)])
		}
		taken := false
		for _, m := range existing {
			taken = taken || m.ID == id.String()
		}
		if !taken {
			return id.String()
		}
	}
}

// user reads a user the scope sees; ErrNotFound otherwise.
func (s *Service) user(ctx context.Context, scope manage.Scope, id string) (storage.User, error) {
	if !manage.ValidID(id) {
		return storage.User{}, manage.ErrNotFound
	}
	u, err := s.Store.GetUser(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !scope.Sees(u.TenantID)) {
		return storage.User{}, manage.ErrNotFound
	}
	return u, err
}

// Methods lists a user's methods without their secrets.
func (s *Service) Methods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error) {
	ms, err := s.Store.ListTwoFactorMethods(ctx, userID)
	for i := range ms {
		ms[i].Secret = nil
	}
	return ms, err
}

// DisableRequest is DELETE /api/user/two-factor[/{userId}].
type DisableRequest struct {
	UserID, MethodID, Code string
	// ByUser: the user's own JWT asks. Its code is then a guess that
	// counts toward the user's lockout, and a locked account is refused
	// (auth.GuardCode), from IPAddress. An API key's code is checked as
	// FusionAuth checks it, uncounted.
	ByUser    bool
	IPAddress string
}

// Disable removes a method with a current code of it, or every method with
// a recovery code (accounts spec §10.4).
func (s *Service) Disable(ctx context.Context, scope manage.Scope, req DisableRequest) error {
	inv := &manage.Invalid{}
	if strings.TrimSpace(req.Code) == "" {
		inv.Field("blank", "code", "You must specify the [code] property.")
	}
	if req.MethodID == "" {
		inv.Field("blank", "methodId", "You must specify the [methodId] property.")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	user, err := s.user(ctx, scope, req.UserID)
	if err != nil {
		return err
	}
	methods, err := s.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return err
	}
	var m *storage.TwoFactorMethod
	for i := range methods {
		if methods[i].ID == req.MethodID {
			m = &methods[i]
		}
	}
	if m == nil {
		return invalid("invalid", "methodId", "The [methodId] property does not name a two-factor method of the user.")
	}
	removed := ""
	check := func(ctx context.Context) (ok bool, err error) {
		removed, ok, err = s.removeWithCode(ctx, user.ID, *m, req.Code)
		return ok, err
	}
	if req.ByUser {
		err = s.Auth.GuardCode(ctx, auth.CodeCheck{User: user, IPAddress: req.IPAddress}, check)
	} else {
		var ok bool
		if ok, err = check(ctx); err == nil && !ok {
			err = ErrInvalidCode
		}
	}
	if err != nil {
		return err
	}
	s.event(ctx, "two_factor_method_remove", user.ID, removed)
	return nil
}

// removeWithCode checks code, a recovery code (its shape says so) or a
// current code of m, and removes what the right one removes: every method
// and recovery code, or m. removed names what went, for the event.
func (s *Service) removeWithCode(ctx context.Context, userID string, m storage.TwoFactorMethod, code string) (removed string, ok bool, err error) {
	if h, isRecovery := auth.RecoveryHash(code); isRecovery {
		err := s.Store.DisableTwoFactor(ctx, userID, h)
		if errors.Is(err, storage.ErrNotFound) {
			return "", false, nil
		}
		return "all_by_recovery_code", err == nil, err
	}
	if ok, err := s.Auth.CheckMethodCode(ctx, m, code); err != nil || !ok {
		return "", false, err
	}
	if err := s.Store.RemoveTwoFactorMethod(ctx, userID, m.ID); err != nil {
		return "", false, err
	}
	return m.Method, true, nil
}

// RecoveryCodes is POST /api/user/two-factor/recovery-code/{userId}: a
// new set replaces the old one. A user without a method has none.
func (s *Service) RecoveryCodes(ctx context.Context, scope manage.Scope, userID string) ([]string, error) {
	user, err := s.user(ctx, scope, userID)
	if err != nil {
		return nil, err
	}
	methods, err := s.Store.ListTwoFactorMethods(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if len(methods) == 0 {
		return nil, invalid("invalid", "userId", "The user has no two-factor method, so no recovery codes.")
	}
	codes, hashes := auth.NewRecoveryCodes()
	if err := s.Store.ReplaceRecoveryCodes(ctx, user.ID, hashes); err != nil {
		return nil, err
	}
	s.event(ctx, "two_factor_recovery_codes", user.ID, "regenerated")
	return codes, nil
}

// Rename is PUT /api/user/two-factor/{userId} {methodId, name}.
func (s *Service) Rename(ctx context.Context, scope manage.Scope, userID, methodID, name string) error {
	if methodID == "" {
		return invalid("blank", "methodId", "You must specify the [methodId] property.")
	}
	user, err := s.user(ctx, scope, userID)
	if err != nil {
		return err
	}
	// A method id with a control character (a NUL) names no method and
	// never reaches a query.
	err = storage.ErrNotFound
	if len(methodID) <= 64 && !strings.ContainsFunc(methodID, unicode.IsControl) {
		err = s.Store.RenameTwoFactorMethod(ctx, user.ID, methodID, name)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return manage.ErrNotFound
	}
	return err
}

func invalid(kind, field, msg string) error {
	inv := &manage.Invalid{}
	inv.Field(kind, field, msg)
	return inv
}
