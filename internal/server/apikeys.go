package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
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
	caller, _ := apiKeyFromContext(r.Context())
	if err := s.Manage.APIKeys.MayCreate(caller); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, ok := optionalPathID(w, r, "id", "apiKeyId")
	if !ok {
		return
	}
	var req struct {
		APIKey apiKeyView `json:"apiKey"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	in := req.APIKey
	c, err := s.Manage.APIKeys.Create(r.Context(), caller, manage.NewAPIKey{ID: id, Key: in.Key, TenantID: in.TenantID,
		Endpoints: in.Permissions.Endpoints, Description: in.MetaData.Attributes["description"],
		KeyManager: in.KeyManager, ExpirationInstant: in.ExpirationInstant})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k := c.Record
	out := apiKeyView{ID: k.ID, Key: c.Key, TenantID: k.TenantID, Permissions: apiKeyPerms{Endpoints: k.Endpoints},
		MetaData: in.MetaData, KeyManager: k.KeyManager, ExpirationInstant: k.ExpirationInstant,
		InsertInstant: k.InsertInstant, LastUpdateInstant: k.InsertInstant}
	if out.Permissions.Endpoints == nil {
		out.Permissions.Endpoints = map[string][]string{}
	}
	if out.MetaData.Attributes == nil {
		out.MetaData.Attributes = map[string]string{}
	}
	// The raw key is shown once, in this response; only its hash is kept.
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
