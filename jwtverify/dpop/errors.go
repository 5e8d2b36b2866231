package dpop

import "errors"

// ErrInvalidProof is the parent of every rejection: errors.Is(err,
// ErrInvalidProof) holds for all sentinels below (RFC 9449 §7.1
// invalid_dpop_proof).
var ErrInvalidProof = errors.New("invalid DPoP proof")

type proofError struct{ msg string }

func (e *proofError) Error() string { return e.msg }
func (e *proofError) Unwrap() error { return ErrInvalidProof }

func newErr(msg string) error { return &proofError{msg: msg} }

// Rejection reasons. Messages are fixed strings, safe to show a client.
var (
	ErrMalformed    = newErr("DPoP proof malformed")
	ErrType         = newErr("DPoP proof typ must be dpop+jwt")
	ErrAlgorithm    = newErr("DPoP proof algorithm not allowed (ES256, RS256)")
	ErrHeader       = newErr("DPoP proof header member not allowed")
	ErrKey          = newErr("DPoP proof jwk missing, private or unusable")
	ErrSignature    = newErr("DPoP proof signature invalid")
	ErrMethod       = newErr("DPoP proof htm does not match the request method")
	ErrURL          = newErr("DPoP proof htu does not match the request URL")
	ErrIssuedAt     = newErr("DPoP proof iat outside the accepted window")
	ErrJTI          = newErr("DPoP proof jti missing or too long")
	ErrReplay       = newErr("DPoP proof jti already used")
	ErrAccessToken  = newErr("DPoP proof ath does not match the access token")
	ErrKeyMismatch  = newErr("DPoP proof key does not match the token's binding")
	ErrMissingProof = newErr("DPoP proof required")
)
