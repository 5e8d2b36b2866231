package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lookupAPIKey authenticates the raw `Authorization: <key>` header
// (FusionAuth's scheme, no "Bearer"), also accepting `Basic base64(apikey:<key>)`.
// It returns ok=false for a missing, unknown or expired key, and an error only
// for a storage failure.
func (s *Server) lookupAPIKey(r *http.Request) (storage.APIKey, bool, error) {
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
	k, err := s.Store.GetAPIKeyByHash(r.Context(), manage.HashAPIKey(raw))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.APIKey{}, false, nil
	}
	if err != nil {
		return storage.APIKey{}, false, err
	}
	if k.ExpirationInstant != 0 && s.Now().UnixMilli() >= k.ExpirationInstant {
		return storage.APIKey{}, false, nil
	}
	return k, true, nil
}

// allows reports whether the key may call method on the endpoint. An empty
// permission map is a super key. Endpoint keys are FusionAuth's endpoint
// prefixes such as "/api/user"; a key for "/api/user" covers "/api/user/{id}"
// but not "/api/user/registration" unless listed.
func allows(k storage.APIKey, endpoint, method string) bool {
	if len(k.Endpoints) == 0 {
		return true
	}
	methods, ok := k.Endpoints[endpoint]
	return ok && slices.ContainsFunc(methods, func(m string) bool { return strings.EqualFold(m, method) })
}
