package jwtverify

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/jwtverify/dpop"
)

// Middleware requires a valid access token (VerifyRequest: Authorization:
// Bearer, or DPoP with a proof for bound tokens; tokens in the query string
// are never read) and puts its claims in the request context. Refusals are
// 401 with a WWW-Authenticate challenge and a JSON body
// {"error":"invalid_token","error_description":...} (RFC 6750 §3): the DPoP
// scheme's challenge (RFC 9449 §7.1) when a bound token or a proof failed,
// error="invalid_dpop_proof" for a bad proof. A JWKS outage is 503, because
// the client's token may well be fine.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := v.VerifyRequest(r)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), claims)))
		case errors.Is(err, dpop.ErrInvalidProof):
			refuse(w, "DPoP", http.StatusUnauthorized, "invalid_dpop_proof", err.Error())
		case isDPoPFailure(err):
			refuse(w, "DPoP", http.StatusUnauthorized, "invalid_token", err.Error())
		case errors.Is(err, ErrInvalidToken):
			refuse(w, "Bearer", http.StatusUnauthorized, "invalid_token", err.Error())
		default:
			refuse(w, "", http.StatusServiceUnavailable, "temporarily_unavailable", "token keys unavailable, retry later")
		}
	})
}

func refuse(w http.ResponseWriter, scheme string, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		// desc comes from our fixed error messages: no quotes to escape.
		ch := scheme + ` error="` + code + `", error_description="` + desc + `"`
		if scheme == "DPoP" {
			ch += `, algs="ES256 RS256"`
		}
		w.Header().Set("WWW-Authenticate", ch)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
