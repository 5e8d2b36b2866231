package server

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

func itoa(n int) string { return strconv.Itoa(n) }

// checkIdentity normalises and checks email and username: one of them is
// required, the email is stored lower-case (FusionAuth) and both are unique
// in the tenant, case-insensitively. self is the user being updated.
func (s *Server) checkIdentity(ctx context.Context, e *Errors, u *storage.User, self string) error {
	u.Email = strings.ToLower(u.Email)
	if u.Email == "" && u.Username == "" {
		e.Field("blank", "user.email", "You must specify either the [user.email] or [user.username] property.")
		return nil
	}
	if u.Email != "" && !validEmail(u.Email) {
		e.Field("notEmail", "user.email", "The [user.email] property is not a valid email address.")
	} else if u.Email != "" {
		if taken, err := s.taken(ctx, storage.UserFilter{TenantID: u.TenantID, Email: u.Email}, self); err != nil {
			return err
		} else if taken {
			e.Field("duplicate", "user.email", "A user with email ["+u.Email+"] already exists.")
		}
	}
	if u.Username != "" {
		if utf8.RuneCountInString(u.Username) > 191 || strings.IndexFunc(u.Username, unicode.IsControl) >= 0 {
			e.Field("invalid", "user.username", "The [user.username] property is too long or contains control characters.")
		} else if taken, err := s.taken(ctx, storage.UserFilter{TenantID: u.TenantID, Username: u.Username}, self); err != nil {
			return err
		} else if taken {
			e.Field("duplicate", "user.username", "A user with username ["+u.Username+"] already exists.")
		}
	}
	return nil
}

// checkBirthDate refuses a birthDate that is not a calendar date
// YYYY-MM-DD (FusionAuth's LocalDate; fusionauth-api.md §7.1): it is copied
// into the birthdate claim of every token (OIDC Core §5.1), where a resource
// server would have to parse it.
func checkBirthDate(e *Errors, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		e.Field("invalid", "user.birthDate", "The [user.birthDate] property must be a date in the format YYYY-MM-DD.")
	}
}

func (s *Server) taken(ctx context.Context, f storage.UserFilter, self string) (bool, error) {
	other, err := s.Store.FindUser(ctx, f)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil && other.ID != self, err
}

// validEmail accepts a bare addr-spec (RFC 5322 §3.4.1) with a dotted domain,
// and nothing net/mail would rewrite (display names, comments).
func validEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 {
		return false
	}
	at := strings.LastIndexByte(v, '@')
	return at > 0 && strings.Contains(v[at+1:], ".") && !strings.ContainsAny(v, " \t\r\n")
}

// setPassword validates in.Password against the tenant rules and stores its
// hash in u. The length limits are checked before any hashing so a huge
// password costs nothing (security-bar.md §4.3); bcrypt's 72-byte limit is an
// error, never a silent truncation.
func (s *Server) setPassword(e *Errors, u *storage.User, in userInput, t storage.Tenant) error {
	pw, rules := in.Password, t.PasswordValidationRules
	scheme, factor := t.PasswordEncryptionConfiguration.EncryptionScheme, t.PasswordEncryptionConfiguration.EncryptionSchemeFactor
	if in.EncryptionScheme != "" && in.EncryptionScheme != scheme {
		if !password.Supported(in.EncryptionScheme) {
			e.Field("invalid", "user.encryptionScheme", "Unsupported encryption scheme ["+truncate(in.EncryptionScheme, 64)+"].")
			return nil
		}
		scheme, factor = in.EncryptionScheme, 0 // the scheme's own default factor
	}
	if in.Factor != 0 {
		factor = in.Factor
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < rules.MinLength:
		e.Field("tooShort", "user.password", "The [user.password] must be at least "+itoa(rules.MinLength)+" characters.")
		return nil
	case n > rules.MaxLength || (scheme == "bcrypt" && len(pw) > 72):
		e.Field("tooLong", "user.password", "The [user.password] is too long for the tenant's rules or hashing scheme.")
		return nil
	case rules.RequireMixedCase && (strings.ToLower(pw) == pw || strings.ToUpper(pw) == pw):
		e.Field("singleCase", "user.password", "The [user.password] must contain upper and lower case letters.")
	case rules.RequireNonAlpha && strings.IndexFunc(pw, func(r rune) bool { return !unicode.IsLetter(r) }) < 0:
		e.Field("onlyAlpha", "user.password", "The [user.password] must contain a character that is not a letter.")
	case rules.RequireNumber && strings.IndexFunc(pw, unicode.IsDigit) < 0:
		e.Field("requireNumber", "user.password", "The [user.password] must contain a number.")
	}
	if !e.Empty() {
		return nil
	}
	h, err := password.Hash(pw, scheme, factor)
	if errors.Is(err, password.ErrTooLong) {
		e.Field("tooLong", "user.password", "The [user.password] is too long for the hashing scheme.")
		return nil
	}
	if errors.Is(err, password.ErrFactor) {
		e.Field("invalid", "user.factor", "The [user.factor] is out of range for the encryption scheme.")
		return nil
	}
	if err != nil {
		return err
	}
	u.Password, u.PasswordLastUpdateInstant = h, s.Now().UnixMilli()
	return nil
}

// revokeSessions ends a user's refresh tokens and clears their lockout
// counter: after a password change or a deactivation no old session may
// continue (tenant refreshTokenRevocationPolicy.onPasswordChanged, default on).
func (s *Server) revokeSessions(ctx context.Context, userID, reason string) error {
	if _, err := s.Store.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: userID}, s.Now(), reason); err != nil {
		return err
	}
	return s.Store.ResetLoginFailures(ctx, userID)
}

// checkApplication adds [invalid]<field> unless id names an active
// application.
func (s *Server) checkApplication(ctx context.Context, e *Errors, field, id string) error {
	if !validUUID(id) {
		e.Field("invalid", field, "The ["+field+"] property is not a valid application id.")
		return nil
	}
	a, err := s.Store.GetApplication(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !a.Active) {
		e.Field("invalid", field, "No active application exists with Id ["+id+"].")
		return nil
	}
	return err
}

// newUserID is the id of a user being created: the path's (which must be a
// UUID), else the body's user.id, else a new random UUID (users.mdx: "If not
// specified a secure random UUID will be generated"). A body id that is not a
// UUID is refused rather than silently replaced, so a client relying on it
// learns at once; when the path has an id too, the path wins.
func (s *Server) newUserID(w http.ResponseWriter, r *http.Request, name, bodyID string) (string, bool) {
	if bodyID != "" && !validUUID(bodyID) {
		writeFieldError(w, "couldNotConvert", "user.id", "Invalid [user.id] ["+truncate(bodyID, 64)+"]. It must be a UUID.")
		return "", false
	}
	if r.PathValue(name) == "" && bodyID != "" {
		return strings.ToLower(bodyID), true
	}
	return s.newID(w, r, name, "userId")
}

// newID takes the id from the path (which must be a UUID) or generates one.
func (s *Server) newID(w http.ResponseWriter, r *http.Request, name, field string) (string, bool) {
	if r.PathValue(name) == "" {
		return uuid.NewString(), true
	}
	return pathID(w, r, name, field)
}
