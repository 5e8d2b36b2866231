package strictjwt

import "errors"

// ErrInvalidToken is the parent of every rejection: errors.Is(err,
// ErrInvalidToken) holds for all of the sentinels below, so a caller that only
// needs "accept or refuse" has one value to test.
var ErrInvalidToken = errors.New("invalid token")

// tokenError is a rejection reason that also matches ErrInvalidToken.
type tokenError struct{ msg string }

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return ErrInvalidToken }

func newErr(msg string) error { return &tokenError{msg: msg} }

// Sentinel rejection reasons. Messages are safe to show to clients: they name
// the rule that failed, never key material.
var (
	ErrTooLarge        = newErr("token too large")
	ErrMalformed       = newErr("token malformed")
	ErrAlgorithm       = newErr("token algorithm not allowed")
	ErrForbiddenHeader = newErr("token header not allowed")
	ErrType            = newErr("token typ must be JWT")
	ErrUnknownKey      = newErr("token signed by an unknown key")
	ErrSignature       = newErr("token signature invalid")
	ErrNonCanonical    = newErr("token not in its one accepted encoding (strict base64, ES256 low-S)")
	ErrMissingExp      = newErr("token has no exp")
	ErrExpired         = newErr("token expired")
	ErrNotYetValid     = newErr("token not valid yet")
	ErrIssuer          = newErr("token issuer not accepted")
	ErrAudience        = newErr("token audience not accepted")
)
