package server

import (
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lookupAPIKey authenticates the raw `Authorization: <key>` header
// (FusionAuth's scheme, no "Bearer"), also accepting `Basic base64(apikey:<key>)`,
// with manage.APIKeys.Authenticate. It returns ok=false for a missing,
// unknown or expired key, and an error only for a storage failure.
func (s *Server) lookupAPIKey(r *http.Request) (storage.APIKey, bool, error) {
	if l, ok := r.Context().Value(keyLookupKey{}).(keyLookup); ok {
		return l.key, l.ok, nil
	}
	raw := strings.TrimSpace(r.Header.Get("Authorization"))
	if raw == "" || strings.HasPrefix(raw, "Bearer ") {
		return storage.APIKey{}, false, nil
	}
	if user, pass, ok := r.BasicAuth(); ok {
		if user != "apikey" {
			return storage.APIKey{}, false, nil
		}
		raw = pass
	}
	return s.Manage.APIKeys.Authenticate(r.Context(), raw)
}
