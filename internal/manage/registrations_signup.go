package manage

import (
	"context"
	"errors"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// SignUp is a self-service sign-up: from a SPA, POST /api/user/registration
// without an API key (accounts spec §8.3; FusionAuth has no keyless form),
// or the hosted registration form (POST /oauth2/register). User and
// Registration hold only the allow-listed fields; NotAllowed names the
// request's other fields, each refused with [notAllowed].
type SignUp struct {
	User         storage.User
	Password     string
	Registration storage.Registration
	NotAllowed   []string
	// PasswordConfirm is the hosted form's second copy of the password
	// (FusionAuth's passwordConfirm), checked when the application's
	// registrationConfiguration.confirmPassword asks for it; nil (the API,
	// whose SPA asks twice itself if it wants) checks nothing.
	PasswordConfirm *string
}

// SignUp creates a user and their registration for an application that
// enabled self-service sign-up (registrationConfiguration.enabled); for any
// other application the answer is ErrForbidden, FusionAuth's 401 for a
// call without a key, before the body is looked at. The user gets the
// application's default roles and nothing else, server-owned fields only
// (no id, no verified, no roles from the body), the tenant's password
// policy, the required fields of registrationConfiguration, and the
// verification mail in the same transaction when the tenant verifies
// addresses. While the tenant's families are enabled, its child rules
// apply (signUpChild) and a child's parentEmail is mailed with the account
// (Users.parentMail). No token is issued: the SPA logs in with /api/login,
// which applies the tenant's unverified-email rule like any other login.
func (rs *Registrations) SignUp(ctx context.Context, in SignUp) (Created, error) {
	appID := in.Registration.ApplicationID
	if !ValidID(appID) {
		return Created{}, ErrForbidden
	}
	app, err := rs.Store.GetApplication(ctx, appID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!app.Active || !app.RegistrationConfiguration.Enabled)) {
		return Created{}, ErrForbidden
	} else if err != nil {
		return Created{}, err
	}
	e := &Invalid{}
	for _, f := range in.NotAllowed {
		e.Field("notAllowed", f, "The ["+f+"] property cannot be set when signing up.")
	}
	requireSignUpFields(e, app.RegistrationConfiguration, in.User)
	if c := in.PasswordConfirm; c != nil && app.RegistrationConfiguration.ConfirmPassword {
		switch {
		case *c == "":
			e.Field("blank", "passwordConfirm", "You must specify the [passwordConfirm] property.")
		case *c != in.Password:
			e.Field("doNotMatch", "passwordConfirm", "The [passwordConfirm] does not match the [user.password].")
		}
	}
	u, tenant, ue, err := rs.Users.newUser(ctx, "", UserInput{User: in.User, Password: in.Password})
	if err != nil {
		return Created{}, err
	}
	reg, _, re, err := rs.newRegistration(ctx, u.ID, storage.Registration{ApplicationID: app.ID, Data: in.Registration.Data,
		Timezone: in.Registration.Timezone, PreferredLanguages: in.Registration.PreferredLanguages, Username: in.Registration.Username}, false)
	if err != nil {
		return Created{}, err
	}
	e.Problems = append(append(e.Problems, ue.Problems...), re.Problems...)
	child := signUpChild(e, tenant, u, rs.Users.Now())
	if err := e.Err(); err != nil {
		return Created{}, err
	}
	var parentMail []storage.OutboxMessage
	if child {
		if parentMail, err = rs.Users.parentMail(ctx, tenant, u); err != nil {
			return Created{}, err
		}
	}
	// Without an API key nothing skips verification, and the
	// verificationId goes only by mail, to the address being signed up.
	startsUnverified(app, &reg, false)
	if _, err := rs.Users.storeNew(ctx, u, &reg, tenant, &app, false, parentMail...); err != nil {
		return Created{}, err
	}
	u.Registrations = []storage.Registration{reg}
	return Created{User: u, Registration: reg}, nil
}

// requireSignUpFields refuses a blank field that registrationConfiguration
// marks enabled and required, with the hosted pages' codes
// ([blank]user.firstName, ...).
func requireSignUpFields(e *Invalid, c storage.RegistrationConfiguration, u storage.User) {
	for _, f := range []struct {
		name  string
		r     storage.Requirable
		blank bool
	}{
		{"birthDate", c.BirthDate, u.BirthDate == ""}, {"firstName", c.FirstName, strings.TrimSpace(u.FirstName) == ""},
		{"fullName", c.FullName, strings.TrimSpace(u.FullName) == ""}, {"lastName", c.LastName, strings.TrimSpace(u.LastName) == ""},
		{"middleName", c.MiddleName, strings.TrimSpace(u.MiddleName) == ""}, {"mobilePhone", c.MobilePhone, u.MobilePhone == ""},
		{"preferredLanguages", c.PreferredLanguages, len(u.PreferredLanguages) == 0},
	} {
		if f.r.Enabled && f.r.Required && f.blank {
			e.Field("blank", "user."+f.name, "You must specify the [user."+f.name+"] property.")
		}
	}
}
