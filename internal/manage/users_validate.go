package manage

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/loginid"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// checkIdentity normalises and checks email and username: one of them is
// required, the email is stored lower-case (FusionAuth) and both are unique
// in the tenant, case-insensitively. Both are normalized first
// (internal/loginid: NFKC, case folding), so a full-width copy of an
// address is that address; an identifier with invisible or other
// disallowed characters (zero-width, bidi controls, ...) and a look-alike
// of a Latin identifier (a dotless i, Cyrillic or Armenian letters drawn
// like Latin ones, mixed scripts) are refused, and
// neither may equal another user's other identifier (a username that is
// someone's email would log in as either). self is the user being updated.
func (us *Users) checkIdentity(ctx context.Context, e *Invalid, u *storage.User, self string) error {
	u.Email = strings.ToLower(loginid.Normalize(u.Email))
	u.Username = loginid.Compose(u.Username)
	if u.Email == "" && u.Username == "" {
		e.Field("blank", "user.email", "You must specify either the [user.email] or [user.username] property.")
		return nil
	}
	if u.Email != "" && !validEmail(u.Email) {
		e.Field("notEmail", "user.email", "The [user.email] property is not a valid email address.")
	} else if u.Email != "" && loginid.Disallowed(u.Email) {
		e.Field("invalid", "user.email", "The [user.email] property contains invisible, control or other characters not allowed in an address.")
	} else if u.Email != "" && loginid.LooksLike(u.Email) {
		e.Field("invalid", "user.email", "The [user.email] property mixes scripts or imitates another address with look-alike characters.")
	} else if u.Email != "" {
		if taken, err := us.takenAny(ctx, u.TenantID, u.Email, self); err != nil {
			return err
		} else if taken {
			e.Field("duplicate", "user.email", "A user with email ["+u.Email+"] already exists.")
		}
	}
	if u.Username != "" {
		if utf8.RuneCountInString(u.Username) > 191 || strings.IndexFunc(u.Username, unicode.IsControl) >= 0 {
			e.Field("invalid", "user.username", "The [user.username] property is too long or contains control characters.")
		} else if loginid.Disallowed(u.Username) {
			e.Field("invalid", "user.username", "The [user.username] property contains invisible, control or other characters not allowed in a login.")
		} else if loginid.LooksLike(u.Username) {
			e.Field("invalid", "user.username", "The [user.username] property mixes scripts or imitates another login with look-alike characters.")
		} else if taken, err := us.takenAny(ctx, u.TenantID, u.Username, self); err != nil {
			return err
		} else if taken {
			e.Field("duplicate", "user.username", "A user with username ["+u.Username+"] already exists.")
		}
	}
	return nil
}

// takenAny reports whether another user has id as email or as username: a
// login id is looked up as both (internal/auth findUser).
func (us *Users) takenAny(ctx context.Context, tenantID, id, self string) (bool, error) {
	if taken, err := us.taken(ctx, storage.UserFilter{TenantID: tenantID, Email: id}, self); err != nil || taken {
		return taken, err
	}
	return us.taken(ctx, storage.UserFilter{TenantID: tenantID, Username: id}, self)
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

// checkParentEmail refuses a parentEmail (users.mdx; the family API's
// pending children are found by it) that is not one bare address, so a
// family request email (POST /api/user/family/request) can only name one.
// It is kept lower-cased: FusionAuth compares addresses case-insensitively.
func checkParentEmail(e *Invalid, u *storage.User) {
	u.ParentEmail = strings.ToLower(u.ParentEmail)
	if u.ParentEmail != "" && (!validEmail(u.ParentEmail) || loginid.Disallowed(u.ParentEmail)) {
		e.Field("notEmail", "user.parentEmail", "The [user.parentEmail] property is not a valid email address.")
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

// setPassword checks in.Password against the tenant's policy (field
// user.password) and stores its hash in u. previous are the user's current
// and remembered hashes, newest first (none for a new user), which
// rememberPreviousPasswords compares with.
func (us *Users) setPassword(ctx context.Context, e *Invalid, u *storage.User, in UserInput, t storage.Tenant, previous []storage.PasswordHash) error {
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
	h, err := hashChecked(ctx, e, policyCheck{field: "user.password", plain: in.Password, user: *u, tenant: t,
		scheme: scheme, factor: factor, previous: previous, now: us.Now(), hash: us.Hash})
	if err != nil || h == nil {
		return err
	}
	u.Password, u.PasswordLastUpdateInstant = *h, us.Now().UnixMilli()
	return nil
}

// policyCheck is a password being set and what the policy needs to judge it.
type policyCheck struct {
	field    string // user.password, or password on change-password
	plain    string
	user     storage.User
	tenant   storage.Tenant
	scheme   string
	factor   int
	previous []storage.PasswordHash
	// minimumAge applies tenant.minimumPasswordAge (the user's own change,
	// not an administrator's).
	minimumAge bool
	now        time.Time
	// hash is Users.Hash (nil: password.Hash).
	hash func(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error)
}

// hashChecked applies the tenant's password policy (password.Rules.Check:
// length and character rules, [tooYoung], [previouslyUsed], the offline
// breached-password check) and hashes a password that passes. Problems go
// to e with FusionAuth's codes and the hash is nil. The length limits are
// checked before any hashing, so a huge password costs nothing
// (security-bar.md §4.3). Its hashes wait for a turn until ctx ends: then
// the error is password.ErrBusy, and nothing was judged or hashed.
func hashChecked(ctx context.Context, e *Invalid, c policyCheck) (*storage.PasswordHash, error) {
	ch := password.Change{Field: c.field, Scheme: c.scheme, LoginIDs: password.UserLoginIDs(c.user),
		Previous: c.previous, Now: c.now}
	if c.minimumAge {
		ch.MinimumAge = password.TenantMinimumAge(c.tenant)
		if c.user.PasswordLastUpdateInstant != 0 {
			ch.LastUpdate = time.UnixMilli(c.user.PasswordLastUpdateInstant)
		}
	}
	errs, err := password.TenantRules(c.tenant).Check(ctx, c.plain, ch)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		for _, fe := range errs {
			kind := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(fe.Code, fe.Field), "["), "]")
			e.Field(kind, fe.Field, fe.Message)
		}
		return nil, nil
	}
	hash := c.hash
	if hash == nil {
		hash = password.Hash
	}
	h, err := hash(ctx, c.plain, c.scheme, c.factor)
	switch {
	case errors.Is(err, password.ErrTooLong):
		e.Field("tooLong", c.field, "The ["+c.field+"] is too long for the hashing scheme.")
		return nil, nil
	case errors.Is(err, password.ErrFactor):
		e.Field("invalid", "user.factor", "The [user.factor] is out of range for the encryption scheme.")
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &h, nil
}

// previousPasswords are u's current hash and the remembered ones the
// tenant's rememberPreviousPasswords compares a new password with.
func previousPasswords(ctx context.Context, st interface {
	PasswordHistory(ctx context.Context, userID string, n int) ([]storage.PasswordHash, error)
}, u storage.User, t storage.Tenant) ([]storage.PasswordHash, error) {
	rp := t.PasswordValidationRules.RememberPreviousPasswords
	if !rp.Enabled || u.Password.Hash == "" {
		return nil, nil
	}
	hist, err := st.PasswordHistory(ctx, u.ID, rp.Count-1)
	if err != nil {
		return nil, err
	}
	return append([]storage.PasswordHash{u.Password}, hist...), nil
}

// remembered is how many replaced hashes a change keeps in the history:
// enough for the tenant's count (the current hash is the newest).
func remembered(t storage.Tenant) int {
	if rp := t.PasswordValidationRules.RememberPreviousPasswords; rp.Enabled {
		return max(rp.Count-1, 0)
	}
	return 0
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
