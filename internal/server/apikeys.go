package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

// createAPIKey handles POST /api/api-key and POST /api/api-key/{id}
// (manage.APIKeys.Create). A caller that is not a key manager is refused
// before its request is read.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readAPIKeyRequest(w, r, optionalPathID)
	if !ok {
		return
	}
	c, err := s.Manage.APIKeys.Create(r.Context(), req.caller, req.key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The answer is the stored key as GET shows it, never the request
	// echoed, plus the raw key: shown once, here; only its hash is kept.
	v := manage.ViewAPIKey(c.Record)
	out := apiKeyView{ID: v.ID, Key: c.Key, TenantID: v.TenantID, Permissions: apiKeyPerms(v.Permissions),
		MetaData: apiKeyMetaData(v.MetaData), KeyManager: v.KeyManager, ExpirationInstant: v.ExpirationInstant,
		InsertInstant: v.InsertInstant, LastUpdateInstant: v.LastUpdateInstant}
	writeJSON(w, http.StatusOK, map[string]any{"apiKey": out})
}

// getAPIKeys handles GET /api/api-key/{id} (apikeys.mdx "Retrieve an API
// Key") and GET /api/api-key, latchkey's listing for the console (FusionAuth
// has none). Key managers only, as FusionAuth; never a key value: latchkey
// keeps only hashes.
func (s *Server) getAPIKeys(w http.ResponseWriter, r *http.Request) {
	caller, _ := apiKeyFromContext(r.Context())
	if r.PathValue("id") == "" {
		keys, err := s.Manage.APIKeys.List(r.Context(), caller)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"apiKeys": keys})
		return
	}
	id, ok := pathID(w, r, "id", "apiKeyId")
	if !ok {
		return
	}
	k, err := s.Manage.APIKeys.Get(r.Context(), caller, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"apiKey": k})
}

// updateAPIKey handles PUT /api/api-key/{id} (apikeys.mdx "Update an API
// Key"): the body is create's; a blank key keeps the key's value. The
// answer is the key as GET shows it, never a value.
func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readAPIKeyRequest(w, r, pathID)
	if !ok {
		return
	}
	k, err := s.Manage.APIKeys.Update(r.Context(), req.caller, req.key.ID, req.key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"apiKey": k})
}

// apiKeyRequest is what create and update read: the calling key and the
// key the body describes.
type apiKeyRequest struct {
	caller storage.APIKey
	key    manage.NewAPIKey
}

// readAPIKeyRequest reads create's and update's request: a caller that is
// not a key manager is refused before anything else is read; then the id on
// the path (readID: pathID or optionalPathID) and the {"apiKey"} body. On
// false the answer is written.
func (s *Server) readAPIKeyRequest(w http.ResponseWriter, r *http.Request,
	readID func(w http.ResponseWriter, r *http.Request, name, field string) (string, bool)) (apiKeyRequest, bool) {
	caller, _ := apiKeyFromContext(r.Context())
	if err := s.Manage.APIKeys.MayCreate(caller); err != nil {
		s.writeError(w, r, err)
		return apiKeyRequest{}, false
	}
	id, ok := readID(w, r, "id", "apiKeyId")
	if !ok {
		return apiKeyRequest{}, false
	}
	var req struct {
		APIKey apiKeyView `json:"apiKey"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return apiKeyRequest{}, false
	}
	in := req.APIKey
	return apiKeyRequest{caller: caller, key: manage.NewAPIKey{ID: id, Key: in.Key, TenantID: in.TenantID,
		Endpoints: in.Permissions.Endpoints, Description: in.MetaData.Attributes["description"], Attributes: in.MetaData.Attributes,
		KeyManager: in.KeyManager, ExpirationInstant: in.ExpirationInstant}}, true
}

// deleteAPIKey handles DELETE /api/api-key/{id} (apikeys.mdx "Delete an
// API Key"): 200 with no body; the key stops working at once on every node.
// A key manager may delete itself.
func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	caller, _ := apiKeyFromContext(r.Context())
	id, ok := pathID(w, r, "id", "apiKeyId")
	if !ok {
		return
	}
	if err := s.Manage.APIKeys.Delete(r.Context(), caller, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
