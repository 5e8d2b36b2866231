package manage

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// checkIdentity normalises and checks email and username: one of them is
// required, the email is stored lower-case (FusionAuth) and both are unique
// in the tenant, case-insensitively. self is the user being updated.
func (us *Users) checkIdentity(ctx context.Context, e *Invalid, u *storage.User, self string) error {
	u.Email = strings.ToLower(u.Email)
	if u.Email == "" && u.Username == "" {
		e.Field("blank", "user.email", "You must specify either the [user.email] or [user.username] property.")
		return nil
	}
	if u.Email != "" && !validEmail(u.Email) {
		e.Field("notEmail", "user.email", "The [user.email] property is not a valid email address.")
	} else if u.Email != "" {
		if taken, err := us.taken(ctx, storage.UserFilter{TenantID: u.TenantID, Email: u.Email}, self); err != nil {
			return err
		} else if taken {
			e.Field("duplicate", "user.email", "A user with email ["+u.Email+"] already exists.")
		}
	}
	if u.Username != "" {
		if utf8.RuneCountInString(u.Username) > 191 || strings.IndexFunc(u.Username, unicode.IsControl) >= 0 {
			e.Field("invalid", "user.username", "The [user.username] property is too long or contains control characters.")
		} else if taken, err := us.taken(ctx, storage.UserFilter{TenantID: u.TenantID, Username: u.Username}, self); err != nil {
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
func checkBirthDate(e *Invalid, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		e.Field("invalid", "user.birthDate", "The [user.birthDate] property must be a date in the format YYYY-MM-DD.")
	}
}

func (us *Users) taken(ctx context.Context, f storage.UserFilter, self string) (bool, error) {
	other, err := us.Store.FindUser(ctx, f)
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
func (us *Users) setPassword(e *Invalid, u *storage.User, in UserInput, t storage.Tenant) error {
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
	u.Password, u.PasswordLastUpdateInstant = h, us.Now().UnixMilli()
	return nil
}

// revokeSessions ends a user's refresh tokens and clears their lockout
// counter: after a password change or a deactivation no old session may
// continue (tenant refreshTokenRevocationPolicy.onPasswordChanged, default on).
func (us *Users) revokeSessions(ctx context.Context, userID, reason string) error {
	if _, err := us.Store.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{UserID: userID}, us.Now(), reason); err != nil {
		return err
	}
	return us.Store.ResetLoginFailures(ctx, userID)
}

// checkApplication adds [invalid]<field> unless id names an active
// application.
func checkApplication(ctx context.Context, st applicationReader, e *Invalid, field, id string) error {
	if !ValidID(id) {
		e.Field("invalid", field, "The ["+field+"] property is not a valid application id.")
		return nil
	}
	a, err := st.GetApplication(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !a.Active) {
		e.Field("invalid", field, "No active application exists with Id ["+id+"].")
		return nil
	}
	return err
}
