package password

import (
	"strconv"
	"strings"
	"unicode"
)

// Rules mirrors FusionAuth's tenant.passwordValidationRules (Java
// PasswordValidationRules; _tenant-request-body.mdx), field for field and
// with the same JSON names, so the tenant record can hold one and hand it
// over whole. storage.PasswordValidationRules has the first five fields
// and ValidateOnLogin today.
type Rules struct {
	MinLength                 int              `json:"minLength"`
	MaxLength                 int              `json:"maxLength"`
	RequireMixedCase          bool             `json:"requireMixedCase"`
	RequireNonAlpha           bool             `json:"requireNonAlpha"`
	RequireNumber             bool             `json:"requireNumber"`
	DisallowUserLoginID       bool             `json:"disallowUserLoginId"`
	RememberPreviousPasswords RememberPrevious `json:"rememberPreviousPasswords"`
	ValidateOnLogin           bool             `json:"validateOnLogin"`
	BreachDetection           BreachDetection  `json:"breachDetection"`
}

// RememberPrevious is rules.rememberPreviousPasswords: a new password may
// not equal any of the last Count ones (FusionAuth: count > 0, default 1).
type RememberPrevious struct {
	Enabled bool `json:"enabled"`
	Count   int  `json:"count"`
}

// BreachDetection is rules.breachDetection. FusionAuth asks its online
// Reactor service; offline, only its CommonPassword result can be had
// (package breached), and FusionAuth counts that one as breached in every
// MatchMode (Low, Medium, High), so MatchMode changes nothing here. OnLogin
// is Off, RecordOnly, NotifyUser or RequireChange.
type BreachDetection struct {
	Enabled                   bool   `json:"enabled"`
	MatchMode                 string `json:"matchMode,omitempty"`
	OnLogin                   string `json:"onLogin,omitempty"`
	NotifyUserEmailTemplateID string `json:"notifyUserEmailTemplateId,omitempty"`
}

// DefaultRules are FusionAuth's tenant defaults (minLength 8, maxLength
// 256, rememberPreviousPasswords {false, 1}, everything else off).
func DefaultRules() Rules {
	return Rules{MinLength: 8, MaxLength: 256, RememberPreviousPasswords: RememberPrevious{Count: 1}}
}

// FieldError is one entry of FusionAuth's fieldErrors: Code is
// "[tooShort]password" for Field "password". Clients key on Code; Message
// is for people.
type FieldError struct {
	Field   string `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func fieldError(code, field, message string) FieldError {
	return FieldError{Field: field, Code: "[" + code + "]" + field, Message: "The [" + field + "] " + message}
}

// LoginIDs are the user's identities that disallowUserLoginId keeps out of
// the password; empty ones are skipped.
type LoginIDs struct {
	Email, Username, Phone string
}

// Length is a password's length as FusionAuth counts it: Java's
// String.length(), UTF-16 code units. "é" and "漢" count 1, "🔑" (outside
// the Basic Multilingual Plane) counts 2, as in the browser's
// input.value.length, so a sign-up form's own check agrees with the server.
func Length(plain string) int {
	n := 0
	for _, r := range plain {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// Validate checks plain against the rules FusionAuth's PasswordValidator
// checks, in its order and with its codes for field: [tooLong] and
// [tooShort] (both may be reported), then the first of [singleCase],
// [onlyAlpha], [requireNumber], [containsEmail] / [containsUsername] /
// [containsPhoneNumber]. Like FusionAuth's, it reports nothing for a blank
// password (Check reports [blank]). Login uses it alone when
// ValidateOnLogin is set (203 Validation); setting a password uses Check.
// A password over MaxBytes is [tooLong] before anything is counted.
func (r Rules) Validate(plain, field string, ids LoginIDs) []FieldError {
	if blank(plain) {
		return nil
	}
	if len(plain) > MaxBytes {
		return []FieldError{tooLong(field, r.MaxLength)}
	}
	var errs []FieldError
	switch n := Length(plain); {
	case n > r.MaxLength:
		errs = append(errs, tooLong(field, r.MaxLength))
	case n < r.MinLength:
		errs = append(errs, fieldError("tooShort", field, "must be at least ["+strconv.Itoa(r.MinLength)+"] characters long."))
	}
	c := classesOf(plain)
	switch {
	case r.RequireMixedCase && !(c.lower && c.upper):
		errs = append(errs, fieldError("singleCase", field, "must contain at least one uppercase and one lowercase letter."))
	case r.RequireNonAlpha && !c.other:
		errs = append(errs, fieldError("onlyAlpha", field, "must contain at least one character that is neither a letter nor a number."))
	case r.RequireNumber && !c.digit:
		errs = append(errs, fieldError("requireNumber", field, "must contain at least one number."))
	case r.DisallowUserLoginID:
		if code, what := containsLoginID(plain, ids); code != "" {
			errs = append(errs, fieldError(code, field, "must not contain the user's "+what+"."))
		}
	}
	return errs
}

func tooLong(field string, max int) FieldError {
	return fieldError("tooLong", field, "must be at most ["+strconv.Itoa(max)+"] characters long.")
}

// blank is Java's s.trim().isEmpty(): only characters up to U+0020.
func blank(s string) bool {
	return strings.TrimLeft(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ") == ""
}

// classes are the character classes FusionAuth tests, with Java's char
// predicates: a character outside the Basic Multilingual Plane reaches Java
// as two surrogates, which are neither letters, digits nor cased, so it
// counts as "other" only (an emoji satisfies requireNonAlpha, a
// mathematical bold 𝐀 does not satisfy requireMixedCase).
type classes struct{ lower, upper, digit, other bool }

func classesOf(s string) classes {
	var c classes
	for _, r := range s {
		switch {
		case r > 0xFFFF:
			c.other = true
		case unicode.IsDigit(r): // Java isDigit: Nd
			c.digit = true
		case isAlphabetic(r):
			c.lower = c.lower || unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r)
			c.upper = c.upper || unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r)
		default:
			c.other = true
		}
	}
	return c
}

// isAlphabetic is Java's Character.isAlphabetic: letters, letter numbers
// (Nl) and Other_Alphabetic.
func isAlphabetic(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_Alphabetic, r)
}

// containsLoginID is disallowUserLoginId: the password, lowercased,
// contains the lowercased email or username, or the phone number (also
// compared digits only, when it has at least 6 digits: "+1 555-0100" is in
// "x15550100y").
func containsLoginID(plain string, ids LoginIDs) (code, what string) {
	p := strings.ToLower(plain)
	if e := strings.ToLower(ids.Email); e != "" && strings.Contains(p, e) {
		return "containsEmail", "email address"
	}
	if u := strings.ToLower(ids.Username); u != "" && strings.Contains(p, u) {
		return "containsUsername", "username"
	}
	if ids.Phone != "" {
		d := digits(ids.Phone)
		if strings.Contains(p, strings.ToLower(ids.Phone)) || (len(d) >= 6 && strings.Contains(digits(plain), d)) {
			return "containsPhoneNumber", "phone number"
		}
	}
	return "", ""
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// PublicRules is what GET /api/tenant/password-validation-rules answers
// without authentication, for sign-up forms: the rules without
// breachDetection (FusionAuth removes it), fields in FusionAuth's order.
type PublicRules struct {
	DisallowUserLoginID       bool             `json:"disallowUserLoginId"`
	MaxLength                 int              `json:"maxLength"`
	MinLength                 int              `json:"minLength"`
	RememberPreviousPasswords publicRemembered `json:"rememberPreviousPasswords"`
	RequireMixedCase          bool             `json:"requireMixedCase"`
	RequireNonAlpha           bool             `json:"requireNonAlpha"`
	RequireNumber             bool             `json:"requireNumber"`
	ValidateOnLogin           bool             `json:"validateOnLogin"`
}

type publicRemembered struct {
	Count   int  `json:"count"`
	Enabled bool `json:"enabled"`
}

// Public returns the rules as PublicRules.
func (r Rules) Public() PublicRules {
	return PublicRules{
		DisallowUserLoginID:       r.DisallowUserLoginID,
		MaxLength:                 r.MaxLength,
		MinLength:                 r.MinLength,
		RememberPreviousPasswords: publicRemembered{r.RememberPreviousPasswords.Count, r.RememberPreviousPasswords.Enabled},
		RequireMixedCase:          r.RequireMixedCase,
		RequireNonAlpha:           r.RequireNonAlpha,
		RequireNumber:             r.RequireNumber,
		ValidateOnLogin:           r.ValidateOnLogin,
	}
}
