package server

import (
	"crypto/rand"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// minAPIKeyLength: a caller-chosen key shorter than this is refused. Keys are
// stored as a fast SHA-256 (manage.HashAPIKey), which is only safe for keys with
// enough entropy to make an offline guess hopeless (security-bar.md §4.12).
const minAPIKeyLength = 16

// apiKeyView is FusionAuth's apiKey object (_apikey-post-put-request-body.mdx).
type apiKeyView struct {
	ID                string         `json:"id,omitempty"`
	Key               string         `json:"key,omitempty"`
	TenantID          string         `json:"tenantId,omitempty"`
	Permissions       apiKeyPerms    `json:"permissions"`
	MetaData          apiKeyMetaData `json:"metaData"`
	KeyManager        bool           `json:"keyManager"`
	ExpirationInstant int64          `json:"expirationInstant,omitempty"`
	InsertInstant     int64          `json:"insertInstant,omitempty"`
	LastUpdateInstant int64          `json:"lastUpdateInstant,omitempty"`
}

type apiKeyPerms struct {
	Endpoints map[string][]string `json:"endpoints"`
}

type apiKeyMetaData struct {
	Attributes map[string]string `json:"attributes"`
}

// createAPIKey handles POST /api/api-key and POST /api/api-key/{id}. Only a
// key-manager key may call it (FusionAuth 1.26), and a key can never mint a
// key more powerful than itself: a tenant-scoped manager creates keys for its
// tenant only, and an endpoint-restricted manager creates neither managers nor
// keys beyond its own endpoints and methods.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	caller, _ := apiKeyFromContext(r.Context())
	if !caller.KeyManager {
		writeEmpty(w, http.StatusUnauthorized)
		return
	}
	id := uuid.NewString()
	if r.PathValue("id") != "" {
		var ok bool
		if id, ok = pathID(w, r, "id", "apiKeyId"); !ok {
			return
		}
	}
	var req struct {
		APIKey apiKeyView `json:"apiKey"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	in := req.APIKey
	e := &Errors{}
	if in.Key == "" {
		in.Key = rand.Text() + rand.Text()
	} else if len(in.Key) < minAPIKeyLength {
		e.Field("tooShort", "apiKey.key", "The key must be at least 16 characters long. Leave it blank to have one generated.")
	}
	if caller.TenantID != "" {
		if in.TenantID != "" && in.TenantID != caller.TenantID {
			e.Field("invalid", "apiKey.tenantId", "A tenant-scoped key can only create keys for its own tenant.")
		}
		in.TenantID = caller.TenantID
	}
	if in.TenantID != "" {
		if _, err := s.Store.GetTenant(r.Context(), in.TenantID); errors.Is(err, storage.ErrNotFound) || !validUUID(in.TenantID) {
			e.Field("invalid", "apiKey.tenantId", "No tenant exists with the given id.")
		} else if err != nil {
			s.writeInternal(w, r, err)
			return
		}
	}
	validateEndpoints(e, in.Permissions.Endpoints)
	if len(caller.Endpoints) > 0 {
		if in.KeyManager {
			e.Field("invalid", "apiKey.keyManager", "An endpoint-restricted key cannot create a key manager.")
		}
		if !endpointsWithin(in.Permissions.Endpoints, caller.Endpoints) {
			e.Field("invalid", "apiKey.permissions", "A key cannot grant endpoints or methods it does not hold itself.")
		}
	}
	now := s.Now().UnixMilli()
	if in.ExpirationInstant != 0 && in.ExpirationInstant <= now {
		e.Field("invalid", "apiKey.expirationInstant", "The expiration instant must be in the future.")
	}
	if !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	rec := storage.APIKey{
		ID: id, TenantID: in.TenantID, KeyHash: manage.HashAPIKey(in.Key), Description: in.MetaData.Attributes["description"],
		Endpoints: in.Permissions.Endpoints, KeyManager: in.KeyManager, ExpirationInstant: in.ExpirationInstant, InsertInstant: now,
	}
	if _, err := s.Store.GetAPIKeyByHash(r.Context(), rec.KeyHash); err == nil {
		writeFieldError(w, "duplicate", "apiKey.key", "An API key with this value already exists.")
		return
	}
	switch err := s.Store.CreateAPIKey(r.Context(), rec); {
	case errors.Is(err, storage.ErrConflict):
		writeFieldError(w, "duplicate", "apiKeyId", "An API key with Id ["+id+"] already exists.")
		return
	case err != nil:
		s.writeInternal(w, r, err)
		return
	}
	out := apiKeyView{ID: id, Key: in.Key, TenantID: in.TenantID, Permissions: apiKeyPerms{Endpoints: in.Permissions.Endpoints},
		MetaData: in.MetaData, KeyManager: in.KeyManager, ExpirationInstant: in.ExpirationInstant, InsertInstant: now, LastUpdateInstant: now}
	if out.Permissions.Endpoints == nil {
		out.Permissions.Endpoints = map[string][]string{}
	}
	if out.MetaData.Attributes == nil {
		out.MetaData.Attributes = map[string]string{}
	}
	// The raw key is shown once, in this response; only its hash is kept.
	writeJSON(w, http.StatusOK, map[string]any{"apiKey": out})
}

var endpointMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

func validateEndpoints(e *Errors, eps map[string][]string) {
	for _, ep := range slices.Sorted(maps.Keys(eps)) {
		if !strings.HasPrefix(ep, "/api/") {
			e.Field("invalid", "apiKey.permissions.endpoints", "Endpoint ["+truncate(ep, 64)+"] must start with /api/.")
		}
		for _, m := range eps[ep] {
			if !slices.Contains(endpointMethods, m) {
				e.Field("invalid", "apiKey.permissions.endpoints", "Method ["+truncate(m, 16)+"] must be one of GET, POST, PUT, PATCH, DELETE.")
			}
		}
	}
}

// endpointsWithin reports whether want grants nothing beyond have. An empty
// want is a super key, which is beyond any restricted have.
func endpointsWithin(want, have map[string][]string) bool {
	if len(want) == 0 {
		return false
	}
	for ep, methods := range want {
		for _, m := range methods {
			if !slices.Contains(have[ep], m) {
				return false
			}
		}
	}
	return true
}
