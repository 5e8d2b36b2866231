package jwtverify

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

// ErrNoToken: the request carries no Bearer or DPoP credential.
var ErrNoToken = newErr("missing bearer token")

// VerifyRequest verifies the access token of r and, for a DPoP-bound token
// (cnf.jkt), its proof (RFC 9449 §7.1): the token must come as
// Authorization: DPoP, with exactly one DPoP header whose proof is signed by
// the bound key for this request's method and URL and carries ath for this
// token. A bound token sent as Bearer is refused (ErrDPoPRequired), so a
// stolen token is useless without the key. An unbound token is accepted only
// as Bearer. Bad proofs match both ErrInvalidToken and dpop.ErrInvalidProof.
func (v *Verifier) VerifyRequest(r *http.Request) (*Claims, error) {
	token, scheme := credential(r.Header.Get("Authorization"))
	if token == "" {
		return nil, ErrNoToken
	}
	c, err := v.verify(r.Context(), token)
	if err != nil {
		return nil, err
	}
	switch {
	case c.DPoPJKT == "" && scheme == "Bearer":
		return c, nil
	case c.DPoPJKT == "":
		return nil, ErrDPoPRequired // DPoP scheme with a token that is not bound
	case scheme != "DPoP":
		return nil, ErrDPoPRequired
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return nil, ErrDPoPRequired
	}
	p, err := dpop.VerifyProof(proofs[0], dpop.ProofCheck{
		Method: r.Method, URL: v.requestURL(r), AccessToken: token,
		Now: v.cfg.Now(), Window: v.cfg.DPoPWindow, Replay: v.replay,
	})
	if err != nil {
		return nil, &proofError{err}
	}
	if p.JKT != c.DPoPJKT {
		return nil, &proofError{dpop.ErrKeyMismatch}
	}
	return c, nil
}

// proofError matches both ErrInvalidToken and the dpop sentinel it wraps.
type proofError struct{ err error }

func (e *proofError) Error() string   { return e.err.Error() }
func (e *proofError) Unwrap() []error { return []error{e.err, ErrInvalidToken} }

// requestURL is the URL the client addressed: PublicURL + path when
// configured (behind a proxy the Host and scheme seen here may differ),
// else the request's Host with its transport's scheme.
func (v *Verifier) requestURL(r *http.Request) string {
	if v.cfg.PublicURL != "" {
		return strings.TrimSuffix(v.cfg.PublicURL, "/") + r.URL.Path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// credential splits the Authorization header; scheme names are
// case-insensitive (RFC 9110 §11.1).
func credential(h string) (token, scheme string) {
	s, tok, ok := strings.Cut(h, " ")
	if !ok {
		return "", ""
	}
	tok = strings.TrimLeft(tok, " ")
	switch {
	case tok == "":
		return "", ""
	case strings.EqualFold(s, "Bearer"):
		return tok, "Bearer"
	case strings.EqualFold(s, "DPoP"):
		return tok, "DPoP"
	}
	return "", ""
}

// isDPoPFailure reports refusals whose challenge must be the DPoP scheme.
func isDPoPFailure(err error) bool {
	return errors.Is(err, ErrDPoPRequired) || errors.Is(err, dpop.ErrInvalidProof)
}
