package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/loginid"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// importValidator checks one import request and builds its records.
type importValidator struct {
	im     *Import
	tenant storage.Tenant
	scope  Scope
	now    time.Time
	req    ImportRequest
	e      Invalid
	apps   map[string]*storage.Application // nil value: unknown or inactive
	seen   seenKeys
}

// seenKeys are the identifiers met so far in the request, and where.
type seenKeys struct{ ids, emails, usernames, regs map[string]int }

func newSeenKeys() seenKeys {
	return seenKeys{ids: map[string]int{}, emails: map[string]int{}, usernames: map[string]int{}, regs: map[string]int{}}
}

func (v *importValidator) field(i int, kind, field, msg string) {
	v.e.Field(kind, fmt.Sprintf("users[%d].%s", i, field), fmt.Sprintf("users[%d]: %s", i, msg))
}

// validate checks every user and returns the records to store.
func (v *importValidator) validate(ctx context.Context) ([]storage.User, error) {
	switch n := len(v.req.Users); {
	case n == 0:
		return nil, invalid("missing", "users", "You must specify at least one user in [users].")
	case n > MaxImportUsers:
		return nil, invalid("tooMany", "users", fmt.Sprintf("At most %d users per request; send them in batches.", MaxImportUsers))
	}
	users := make([]storage.User, 0, len(v.req.Users))
	for i, in := range v.req.Users {
		u, err := v.user(ctx, i, in)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// user checks users[i] and builds its record.
func (v *importValidator) user(ctx context.Context, i int, in ImportUser) (storage.User, error) {
	u := in.User
	u.Registrations = nil
	switch {
	case u.ID == "":
		u.ID = newID()
	case !ValidID(u.ID):
		v.field(i, "invalid", "id", "The [id] must be a UUID.")
	}
	if u.TenantID != "" && u.TenantID != v.tenant.ID || !v.scope.Sees(v.tenant.ID) {
		v.field(i, "invalid", "tenantId", "The [tenantId] must name this tenant ["+v.tenant.ID+"].")
	}
	u.TenantID = v.tenant.ID
	if u.InsertInstant == 0 {
		u.InsertInstant = v.now.UnixMilli()
	}
	u.LastUpdateInstant = v.now.UnixMilli()
	v.identity(i, &u)
	if u.BirthDate != "" {
		if _, err := time.Parse(time.DateOnly, u.BirthDate); err != nil {
			v.field(i, "invalid", "birthDate", "The [birthDate] must be a date in the format YYYY-MM-DD.")
		}
	}
	if len(in.TwoFactor) > 0 && string(in.TwoFactor) != "null" && string(in.TwoFactor) != "{}" {
		v.field(i, "invalid", "twoFactor", "latchkey does not import two-factor methods; users enable them again after the move.")
	}
	if len(in.Memberships) > 0 {
		v.field(i, "invalid", "memberships", "latchkey does not import group memberships.")
	}
	if err := v.password(ctx, i, in, &u); err != nil {
		return u, err
	}
	for j, r := range in.Registrations {
		reg, err := v.registration(ctx, i, j, u.ID, r)
		if err != nil {
			return u, err
		}
		u.Registrations = append(u.Registrations, reg)
	}
	for _, p := range storage.NULPaths("", u) {
		v.field(i, "invalid", p, "The ["+p+"] property holds a NUL character (U+0000), which cannot be stored.")
	}
	v.seenOnce(i, v.seen.ids, u.ID, "id", "user id")
	return u, nil
}

// identity checks email and username as a user create does
// (checkIdentity): normalized the same way (internal/loginid: NFKC, case
// folding), so a full-width copy of another record's address is that
// address, and an identifier with invisible or other disallowed characters
// or a look-alike of a Latin identifier is refused; a username
// may not be another record's email. It makes none of create's per-user
// database lookups (validateDbConstraints makes one per request).
func (v *importValidator) identity(i int, u *storage.User) {
	u.Email = loginKey(u.Email)
	u.Username = loginid.Compose(u.Username)
	if u.Email == "" && u.Username == "" {
		v.field(i, "blank", "email", "You must specify either the [email] or [username] property.")
		return
	}
	switch {
	case u.Email == "":
	case !validEmail(u.Email):
		v.field(i, "notEmail", "email", "The [email] property is not a valid email address.")
	case loginid.Disallowed(u.Email):
		v.field(i, "invalid", "email", "The [email] property contains invisible, control or other characters not allowed in an address.")
	case loginid.LooksLike(u.Email):
		v.field(i, "invalid", "email", "The [email] property mixes scripts or imitates another address with look-alike characters.")
	default:
		v.seenLogin(i, u.Email, "email")
	}
	switch {
	case u.Username == "":
	case utf8.RuneCountInString(u.Username) > 191 || strings.IndexFunc(u.Username, unicode.IsControl) >= 0:
		v.field(i, "invalid", "username", "The [username] property is too long or contains control characters.")
	case loginid.Disallowed(u.Username):
		v.field(i, "invalid", "username", "The [username] property contains invisible, control or other characters not allowed in a login.")
	case loginid.LooksLike(u.Username):
		v.field(i, "invalid", "username", "The [username] property mixes scripts or imitates another login with look-alike characters.")
	default:
		v.seenLogin(i, loginKey(u.Username), "username")
	}
}

// loginKey is the form two login ids are compared in: normalized, then
// lower-cased (what storage indexes, sqlstorage's loginKey).
func loginKey(id string) string { return strings.ToLower(loginid.Normalize(id)) }

// seenLogin records key as users[i]'s field ("email" or "username") and
// reports it when an earlier record has it as either: a login id is looked
// up as both (internal/auth findUser), so an email that is another
// record's username is a duplicate too.
func (v *importValidator) seenLogin(i int, key, field string) {
	mine, other, otherField := v.seen.emails, v.seen.usernames, "username"
	if field == "username" {
		mine, other, otherField = v.seen.usernames, v.seen.emails, "email"
	}
	if first, ok := other[key]; ok && first != i {
		v.field(i, "duplicate", field, fmt.Sprintf("The %s is the %s of users[%d].", field, otherField, first))
		return
	}
	v.seenOnce(i, mine, key, field, field)
}

// seenOnce reports a value that an earlier user of the request has too.
func (v *importValidator) seenOnce(i int, seen map[string]int, key, field, what string) {
	if first, ok := seen[key]; ok {
		v.field(i, "duplicate", field, fmt.Sprintf("The %s is also that of users[%d].", what, first))
		return
	}
	seen[key] = i
}

// password stores in's hash as given (its scheme must be one latchkey
// verifies, and it must parse as that scheme's hash, so a bad record is
// refused now rather than failing its user's login), or hashes a plain
// password with the request's scheme or the tenant's.
func (v *importValidator) password(ctx context.Context, i int, in ImportUser, u *storage.User) error {
	if in.Password == "" {
		v.field(i, "blank", "password", "You must specify the [password] property.")
		return nil
	}
	if in.EncryptionScheme == "" {
		if what := hashWithoutScheme(in); what != "" {
			v.field(i, "blank", "encryptionScheme", "The [password] "+what+", so it is a hash: give its [encryptionScheme]. "+
				"Without one the [password] is plain text, and the hash itself would become the password.")
			return nil
		}
	}
	if in.EncryptionScheme != "" {
		h := storage.PasswordHash{Scheme: in.EncryptionScheme, Factor: in.Factor, Salt: in.Salt, Hash: in.Password}
		switch err := password.CheckStored(h); {
		case errors.Is(err, password.ErrUnknownScheme):
			v.field(i, "invalid", "encryptionScheme", "Unsupported encryption scheme ["+truncate(in.EncryptionScheme, 64)+"].")
		case errors.Is(err, password.ErrFactor):
			v.field(i, "invalid", "factor", "The [factor] is out of the range latchkey verifies for ["+in.EncryptionScheme+"].")
		case err != nil:
			v.field(i, "invalid", "password", "The [password] is not a hash of scheme ["+in.EncryptionScheme+"] with that [salt] and [factor].")
		}
		u.Password = h
		if u.PasswordLastUpdateInstant == 0 {
			u.PasswordLastUpdateInstant = v.now.UnixMilli()
		}
		return nil
	}
	scheme, factor := v.req.EncryptionScheme, v.req.Factor
	if scheme == "" {
		pe := v.tenant.PasswordEncryptionConfiguration
		scheme, factor = pe.EncryptionScheme, pe.EncryptionSchemeFactor
	}
	h, err := password.Hash(ctx, in.Password, scheme, factor)
	if errors.Is(err, password.ErrBusy) {
		return err // the import stops: a busy server is no problem of the record
	}
	if err != nil {
		v.field(i, "invalid", "password", "The plain-text [password] cannot be hashed with ["+truncate(scheme, 64)+"]: "+hashProblem(err))
		return nil
	}
	u.Password, u.PasswordLastUpdateInstant = h, v.now.UnixMilli()
	return nil
}

// selfDescribing are the schemes whose hashes carry their own parameters,
// so one given whole in [password] is recognized without a scheme.
var selfDescribing = []string{"bcrypt", "argon2id", "phpass-md5", "phpass-sha512"}

// hashWithoutScheme says why a record without an encryptionScheme carries a
// hash rather than a plain-text password ("" when it does not seem to).
// FusionAuth hashes [password] as plain text when users[i].encryptionScheme
// is omitted (apis/users import: "Omitting this value indicates the
// password is in plain text"), and its [salt] is "Required if
// encryptionScheme is provided": a record with a salt or a factor but no
// scheme is a hash whose scheme was left out. Importing it as plain text
// would make the hash string the user's password (anyone holding the old
// hash logs in with it, the user with their real password does not), so
// it is refused.
func hashWithoutScheme(in ImportUser) string {
	switch {
	case in.Salt != "":
		return "comes with a [salt]"
	case in.Factor != 0:
		return "comes with a [factor]"
	}
	for _, s := range selfDescribing {
		if err := password.CheckStored(storage.PasswordHash{Scheme: s, Hash: in.Password}); err == nil || errors.Is(err, password.ErrFactor) {
			return "is a whole [" + s + "] hash"
		}
	}
	return ""
}

// hashProblem says why Hash refused, without echoing the password.
func hashProblem(err error) string {
	switch {
	case errors.Is(err, password.ErrTooLong):
		return "it is too long."
	case errors.Is(err, password.ErrFactor):
		return "the factor is out of range."
	case errors.Is(err, password.ErrUnknownScheme), errors.Is(err, password.ErrLegacyScheme):
		return "new passwords are not hashed with that scheme."
	}
	return "it was refused."
}

// registration checks users[i].registrations[j].
func (v *importValidator) registration(ctx context.Context, i, j int, userID string, r storage.Registration) (storage.Registration, error) {
	at := fmt.Sprintf("registrations[%d].", j)
	if r.ID == "" {
		r.ID = newID()
	} else if !ValidID(r.ID) {
		v.field(i, "invalid", at+"id", "The registration [id] must be a UUID.")
	}
	r.UserID, r.LastUpdateInstant = userID, v.now.UnixMilli()
	if r.InsertInstant == 0 {
		r.InsertInstant = v.now.UnixMilli()
	}
	if r.ApplicationID == "" {
		v.field(i, "blank", at+"applicationId", "You must specify the registration's [applicationId].")
		return r, nil
	}
	app, err := v.application(ctx, r.ApplicationID)
	if err != nil {
		return r, err
	}
	if app == nil {
		v.field(i, "invalid", at+"applicationId", "No active application exists with Id ["+truncate(r.ApplicationID, 64)+"].")
		return r, nil
	}
	var roles Invalid
	r.Roles = checkRoles(&roles, *app, r.Roles, false)
	for _, p := range roles.Problems {
		v.field(i, p.Kind, at+"roles", p.Message)
	}
	v.seenOnce(i, v.seen.regs, userID+"/"+app.ID, at+"applicationId", "registration for this application")
	v.seenOnce(i, v.seen.regs, r.ID, at+"id", "registration id")
	return r, nil
}

// application reads an application once per request; nil when it does not
// exist or is inactive.
func (v *importValidator) application(ctx context.Context, id string) (*storage.Application, error) {
	if a, ok := v.apps[id]; ok {
		return a, nil
	}
	var found *storage.Application
	if ValidID(id) {
		a, err := v.im.Store.GetApplication(ctx, id)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		if err == nil && a.Active && v.scope.Sees(a.TenantID) {
			found = &a
		}
	}
	v.apps[id] = found
	return found, nil
}

// checkStored is validateDbConstraints: every id, email and username the
// stored users already hold is a [duplicate] field error of the user that
// brings it.
func (v *importValidator) checkStored(ctx context.Context, users []storage.User) error {
	// Every login id of the request (normalized, identity) is looked up as
	// a stored email and as a stored username, as create's takenAny does.
	k := storage.UserKeys{IDs: make([]string, 0, len(users))}
	for _, u := range users {
		k.IDs = append(k.IDs, u.ID)
	}
	for _, seen := range []map[string]int{v.seen.emails, v.seen.usernames} {
		for key := range seen {
			k.Emails = append(k.Emails, key)
		}
	}
	k.Usernames = k.Emails
	taken, err := v.im.Store.TakenUserKeys(ctx, v.tenant.ID, k)
	if err != nil {
		return err
	}
	for _, id := range taken.IDs {
		if i, ok := v.seen.ids[id]; ok {
			v.field(i, "duplicate", "id", "A user with this id already exists.")
		}
	}
	storedAs := map[string]string{}
	for _, key := range taken.Usernames {
		storedAs[key] = "username"
	}
	for _, key := range taken.Emails {
		storedAs[key] = "email"
	}
	for key, as := range storedAs {
		for _, t := range []struct {
			seen  map[string]int
			field string
		}{{v.seen.emails, "email"}, {v.seen.usernames, "username"}} {
			i, ok := t.seen[key]
			switch {
			case !ok:
			case as == t.field:
				v.field(i, "duplicate", t.field, "A user with this "+t.field+" already exists.")
			default:
				v.field(i, "duplicate", t.field, "A user has this "+t.field+" as their "+as+".")
			}
		}
	}
	return nil
}
