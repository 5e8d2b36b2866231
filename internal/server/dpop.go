package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

// dpopProof verifies the request's DPoP header (RFC 9449 §4.3) against this
// request: its method and its URL as the client addressed it (the public
// base URL, so a proxy in front does not change htu). accessToken, when set,
// must be bound through ath. present is false when no proof was sent.
// Replayed jti values are caught by dpop's per-process cache.
func (s *Server) dpopProof(r *http.Request, accessToken string) (p dpop.Proof, present bool, err error) {
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return dpop.Proof{}, false, nil
	case 1:
	default:
		// §4.3 check 1: "there is not more than one DPoP HTTP request header".
		return dpop.Proof{}, true, dpop.ErrMalformed
	}
	p, err = dpop.VerifyProof(vals[0], dpop.ProofCheck{
		Method:      r.Method,
		URL:         s.publicBase(r) + r.URL.Path,
		AccessToken: accessToken,
		Now:         s.Now(),
	})
	return p, true, err
}

// loginCaller reads what a login endpoint takes from the request besides
// its body: the key of its DPoP proof (RFC 9449 §5: a valid proof binds the
// refresh token to the key and the access token gets cnf.jkt; a bad one is
// refused before any credential is looked at; none: "") and the user's
// address (userIP). On false the answer is written.
func (s *Server) loginCaller(w http.ResponseWriter, r *http.Request, bodyIP string) (jkt, ip string, ok bool) {
	proof, _, err := s.dpopProof(r, "")
	if err != nil {
		writeDPoPFusion(w, err)
		return "", "", false
	}
	return proof.JKT, s.userIP(r, bodyIP), true
}

// userIP is the address of the user a login is for: the body's ipAddress
// wins over the connection's (fusionauth-api.md §1.1).
func (s *Server) userIP(r *http.Request, bodyIP string) string {
	if bodyIP != "" {
		return bodyIP
	}
	return s.clientIP(r)
}

// lockoutIP is the address a login step's failures count under (and whose
// lock it checks): the connection's (clientIP, the trusted-proxy rule), so a
// keyless caller cannot pick a fresh address per guess with the body's
// ipAddress; a server-side caller with an API key (on an optionalAPIKey
// route) vouches for the address of the user it acts for.
func (s *Server) lockoutIP(r *http.Request, bodyIP string) string {
	if _, hasKey := apiKeyFromContext(r.Context()); hasKey && bodyIP != "" {
		return bodyIP
	}
	return s.clientIP(r)
}

// writeDPoPFusion answers a bad proof on /api/*: a FusionAuth field error on
// the DPoP header, 400.
func writeDPoPFusion(w http.ResponseWriter, err error) {
	writeFieldError(w, "invalid", "DPoP", dpopMessage(err))
}

// writeDPoPOAuth answers a bad proof on /oauth2/token: 400
// invalid_dpop_proof (RFC 9449 §5, §7.1).
func writeDPoPOAuth(w http.ResponseWriter, err error) {
	writeOAuthError(w, http.StatusBadRequest, OAuthError{Error: "invalid_dpop_proof", Description: dpopMessage(err)})
}

// dpopMessage is the client-safe text of a proof error: dpop's sentinels
// carry fixed messages; anything else gets a generic one.
func dpopMessage(err error) string {
	if errors.Is(err, dpop.ErrInvalidProof) {
		return err.Error()
	}
	return "The DPoP proof is invalid."
}

// accessCredential reads the access token of a resource request: the
// Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1) Authorization scheme.
func accessCredential(r *http.Request) (token, scheme string) {
	v := r.Header.Get("Authorization")
	sch, tok, ok := strings.Cut(v, " ")
	if !ok {
		return "", ""
	}
	tok = strings.TrimSpace(tok)
	switch {
	case strings.EqualFold(sch, "Bearer"):
		return tok, "Bearer"
	case strings.EqualFold(sch, "DPoP"):
		return tok, "DPoP"
	}
	return "", ""
}

// boundKey is the cnf.jkt of verified claims, "" when the token is unbound.
func boundKey(claims map[string]any) string {
	cnf, _ := claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

// checkBinding applies RFC 9449 §7 to a verified access token: a bound token
// is accepted only under the DPoP scheme with a valid proof by its key for
// this request (ath included); an unbound one only as Bearer (or cookie).
func (s *Server) checkBinding(r *http.Request, token, scheme string, claims map[string]any) bool {
	jkt := boundKey(claims)
	if jkt == "" {
		return scheme != "DPoP"
	}
	if scheme != "DPoP" {
		return false
	}
	p, present, err := s.dpopProof(r, token)
	return present && err == nil && p.JKT == jkt
}
