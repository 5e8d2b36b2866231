package password

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password/breached"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Change is a password being set (sign-up, user create or update, change
// or reset) and what Check needs to know about it beyond the rules.
type Change struct {
	// Field names the request field in the errors: "password" on
	// change-password, "user.password" on user create and update and on
	// registration.
	Field string
	// Scheme is the scheme the password will be hashed with ("" = the
	// default): bcrypt adds FusionAuth's 50-character limit and bcrypt's
	// own 72 bytes.
	Scheme   string
	LoginIDs LoginIDs
	// Previous are the user's current hash and remembered ones, newest
	// first; Check compares with the first rules.rememberPreviousPasswords
	// .count of them (at most MaxRemembered). Empty for a new user.
	Previous []storage.PasswordHash
	// MinimumAge is tenant.minimumPasswordAge; LastUpdate the user's
	// passwordLastUpdateInstant (zero for a new user); Now the clock.
	MinimumAge MinimumAge
	LastUpdate time.Time
	Now        time.Time
}

// MinimumAge is tenant.minimumPasswordAge: a password younger than
// Seconds may not be changed ([tooYoung]). FusionAuth's default is
// {false, 30}.
type MinimumAge struct {
	Enabled bool `json:"enabled"`
	Seconds int  `json:"seconds"`
}

// TooYoung reports whether a password set at lastUpdate may not be changed
// at now.
func (m MinimumAge) TooYoung(lastUpdate, now time.Time) bool {
	return m.Enabled && !lastUpdate.IsZero() && lastUpdate.Add(storage.Lifetime(m.Seconds, time.Second)).After(now)
}

// bcryptMaxChars is FusionAuth's maxLength for the bcrypt scheme
// (validateBcryptMaxLength): 50 characters.
const bcryptMaxChars = 50

// Check is the whole policy for a password being set, in FusionAuth's
// order (DefaultPasswordService.validatePasswordOnUpdate), each step
// reached only if the previous one passed:
//
//  1. [blank] for an empty or whitespace-only password;
//  2. the rules (Validate);
//  3. [tooLong] over 50 characters (FusionAuth) or 72 bytes (never
//     truncated) when the scheme is bcrypt;
//  4. [tooYoung] under the minimum age;
//  5. [previouslyUsed] when it matches one of the remembered passwords;
//  6. [breachedCommonPassword] when breach detection is on and the
//     password is a common one (package breached).
//
// A password over MaxBytes is [tooLong] at once: no counting, no KDF, no
// list lookup. Step 5 runs one Verify per remembered hash; its wait for a
// hashing turn ends with ctx, and then Check's error is ErrBusy (the
// password was not judged).
func (r Rules) Check(ctx context.Context, plain string, c Change) ([]FieldError, error) {
	if blank(plain) {
		return []FieldError{fieldError("blank", c.Field, "is required.")}, nil
	}
	if errs := r.Validate(plain, c.Field, c.LoginIDs); len(errs) > 0 {
		return errs, nil
	}
	if canonical(orDefault(c.Scheme)) == Bcrypt && (Length(plain) > bcryptMaxChars || len(plain) > bcryptMaxBytes) {
		return []FieldError{fieldError("tooLong", c.Field, "must be at most [50] characters long (72 bytes in UTF-8) with the bcrypt scheme.")}, nil
	}
	if c.MinimumAge.TooYoung(c.LastUpdate, c.Now) {
		return []FieldError{fieldError("tooYoung", c.Field, "was changed too recently; try again after ["+strconv.Itoa(c.MinimumAge.Seconds)+"] seconds.")}, nil
	}
	if rp := r.RememberPreviousPasswords; rp.Enabled {
		reused, err := Reused(ctx, plain, c.Previous, rp.Count)
		if errors.Is(err, ErrBusy) {
			return nil, err
		}
		if reused {
			return []FieldError{fieldError("previouslyUsed", c.Field, "matches one of the last ["+strconv.Itoa(rp.Count)+"] passwords and may not be used again.")}, nil
		}
	}
	if r.BreachDetection.Enabled && breached.Common(plain) {
		return []FieldError{fieldError("breachedCommonPassword", c.Field, "property value has been breached and may not be used, please select a different password.")}, nil
	}
	return nil, nil
}
