package strictjwt

import (
	"strings"
	"time"
)

// Rules are the claim checks of RFC 7519 §4.1 that every verifier applies.
type Rules struct {
	Now    time.Time
	Leeway time.Duration
	// Issuer, when set, must equal iss exactly (RFC 8725 §3.8): no trailing
	// slash, case or scheme tolerance.
	Issuer string
	// Audience, when set, must be aud or one element of aud (RFC 7519 §4.1.3).
	Audience string
}

// registered are the RFC 7519 claim names whose case variants ("AUD", "Exp")
// are refused outright, so no consumer with case-insensitive decoding (Go's
// encoding/json) can read a different value than we checked.
var registered = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// CheckClaims applies r to claims. exp is required.
func CheckClaims(claims map[string]any, r Rules) error {
	for name := range claims {
		for _, reg := range registered {
			if name != reg && strings.EqualFold(name, reg) {
				return ErrMalformed
			}
		}
	}
	// Seconds since the epoch as a float, so fractional and absurdly large
	// NumericDates (RFC 7519 §2) compare without integer overflow.
	now := float64(r.Now.UnixNano()) / 1e9
	leeway := r.Leeway.Seconds()

	exp, ok, err := number(claims, "exp")
	if err != nil {
		return err
	}
	if !ok {
		return ErrMissingExp
	}
	// RFC 7519 §4.1.4: the current time MUST be before exp.
	if now >= exp+leeway {
		return ErrExpired
	}
	nbf, ok, err := number(claims, "nbf")
	if err != nil {
		return err
	}
	if ok && now+leeway < nbf {
		return ErrNotYetValid
	}
	if _, _, err := number(claims, "iat"); err != nil {
		return err
	}
	if r.Issuer != "" {
		iss, _ := claims["iss"].(string)
		if iss != r.Issuer {
			return ErrIssuer
		}
	}
	if r.Audience != "" {
		auds, err := Audience(claims)
		if err != nil {
			return err
		}
		found := false
		for _, a := range auds {
			found = found || a == r.Audience
		}
		if !found {
			return ErrAudience
		}
	}
	return nil
}

func number(claims map[string]any, name string) (float64, bool, error) {
	v, ok := claims[name]
	if !ok {
		return 0, false, nil
	}
	f, isNum := v.(float64)
	if !isNum {
		return 0, false, ErrMalformed
	}
	return f, true, nil
}

// Audience returns aud as a list: RFC 7519 §4.1.3 allows a string or an
// array of strings; anything else is malformed.
func Audience(claims map[string]any) ([]string, error) {
	switch v := claims["aud"].(type) {
	case nil:
		if _, present := claims["aud"]; present {
			return nil, ErrMalformed
		}
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, ErrMalformed
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, ErrMalformed
	}
}
