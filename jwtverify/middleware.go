package jwtverify

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Middleware requires a valid access token in Authorization: Bearer
// (RFC 6750 §2.1; tokens in the query string are never read) and puts its
// claims in the request context. Refusals are 401 with
// WWW-Authenticate: Bearer error="invalid_token" and a JSON body
// {"error":"invalid_token","error_description":...} (RFC 6750 §3); a JWKS
// outage is 503, because the client's token may well be fine.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			refuse(w, http.StatusUnauthorized, "invalid_token", "missing bearer token")
			return
		}
		claims, err := v.Verify(r.Context(), token)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), claims)))
		case errors.Is(err, ErrInvalidToken):
			refuse(w, http.StatusUnauthorized, "invalid_token", err.Error())
		default:
			refuse(w, http.StatusServiceUnavailable, "temporarily_unavailable", "token keys unavailable, retry later")
		}
	})
}

// bearer extracts the token; the scheme name is case-insensitive
// (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

func refuse(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		// desc comes from our fixed error messages: no quotes to escape.
		w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}
