package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	if err := v.password(i, in, &u); err != nil {
		return u, err
	}
	for j, r := range in.Registrations {
		reg, err := v.registration(ctx, i, j, u.ID, r)
		if err != nil {
			return u, err
		}
		u.Registrations = append(u.Registrations, reg)
	}
	v.seenOnce(i, v.seen.ids, u.ID, "id", "user id")
	return u, nil
}

// identity checks email and username as a user create does, without the
// per-user database lookups (validateDbConstraints makes one per request).
func (v *importValidator) identity(i int, u *storage.User) {
	u.Email = strings.ToLower(u.Email)
	if u.Email == "" && u.Username == "" {
		v.field(i, "blank", "email", "You must specify either the [email] or [username] property.")
		return
	}
	if u.Email != "" && !validEmail(u.Email) {
		v.field(i, "notEmail", "email", "The [email] property is not a valid email address.")
	} else if u.Email != "" {
		v.seenOnce(i, v.seen.emails, u.Email, "email", "email")
	}
	if u.Username != "" {
		if utf8.RuneCountInString(u.Username) > 191 || strings.IndexFunc(u.Username, unicode.IsControl) >= 0 {
			v.field(i, "invalid", "username", "The [username] property is too long or contains control characters.")
		} else {
			v.seenOnce(i, v.seen.usernames, strings.ToLower(u.Username), "username", "username")
		}
	}
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
func (v *importValidator) password(i int, in ImportUser, u *storage.User) error {
	if in.Password == "" {
		v.field(i, "blank", "password", "You must specify the [password] property.")
		return nil
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
	h, err := password.Hash(in.Password, scheme, factor)
	if err != nil {
		v.field(i, "invalid", "password", "The plain-text [password] cannot be hashed with ["+truncate(scheme, 64)+"]: "+hashProblem(err))
		return nil
	}
	u.Password, u.PasswordLastUpdateInstant = h, v.now.UnixMilli()
	return nil
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
	var k storage.UserKeys
	for _, u := range users {
		k.IDs = append(k.IDs, u.ID)
		if u.Email != "" {
			k.Emails = append(k.Emails, u.Email)
		}
		if u.Username != "" {
			k.Usernames = append(k.Usernames, strings.ToLower(u.Username))
		}
	}
	taken, err := v.im.Store.TakenUserKeys(ctx, v.tenant.ID, k)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		values []string
		seen   map[string]int
		field  string
	}{{taken.IDs, v.seen.ids, "id"}, {taken.Emails, v.seen.emails, "email"}, {taken.Usernames, v.seen.usernames, "username"}} {
		for _, val := range t.values {
			if i, ok := t.seen[val]; ok {
				v.field(i, "duplicate", t.field, "A user with this "+t.field+" already exists.")
			}
		}
	}
	return nil
}
