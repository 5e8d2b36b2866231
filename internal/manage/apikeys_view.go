package manage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// APIKeyView is FusionAuth's apiKey object as GET /api/api-key/{id} answers
// it (_apikey-get-response-body.mdx), without the key: latchkey keeps only
// its SHA-256, so no key is retrievable (retrievable is always false) and
// nothing here can leak one.
type APIKeyView struct {
	ID                string            `json:"id"`
	TenantID          string            `json:"tenantId,omitempty"`
	Permissions       APIKeyPermissions `json:"permissions"`
	MetaData          APIKeyMetaData    `json:"metaData"`
	KeyManager        bool              `json:"keyManager"`
	Retrievable       bool              `json:"retrievable"`
	ExpirationInstant int64             `json:"expirationInstant,omitempty"`
	InsertInstant     int64             `json:"insertInstant"`
	LastUpdateInstant int64             `json:"lastUpdateInstant"`
}

// APIKeyPermissions is apiKey.permissions.
type APIKeyPermissions struct {
	Endpoints map[string][]string `json:"endpoints"`
}

// APIKeyMetaData is apiKey.metaData.
type APIKeyMetaData struct {
	Attributes map[string]string `json:"attributes"`
}

// ViewAPIKey is k as the API shows it.
func ViewAPIKey(k storage.APIKey) APIKeyView {
	v := APIKeyView{ID: k.ID, TenantID: k.TenantID, Permissions: APIKeyPermissions{Endpoints: k.Endpoints},
		MetaData: APIKeyMetaData{Attributes: map[string]string{}}, KeyManager: k.KeyManager,
		ExpirationInstant: k.ExpirationInstant, InsertInstant: k.InsertInstant, LastUpdateInstant: k.InsertInstant}
	if v.Permissions.Endpoints == nil {
		v.Permissions.Endpoints = map[string][]string{}
	}
	if k.Description != "" {
		v.MetaData.Attributes["description"] = k.Description
	}
	return v
}

// Get returns the key id as the API shows it; ErrNotFound when unknown or
// of a tenant the caller's scope does not see. Like create, it needs a key
// manager (apikeys.mdx: the API-key API is for key managers).
func (ks *APIKeys) Get(ctx context.Context, caller storage.APIKey, id string) (APIKeyView, error) {
	if err := ks.MayCreate(caller); err != nil {
		return APIKeyView{}, err
	}
	k, err := scopedGet(ctx, ks.Store.GetAPIKey, id, Scope{TenantID: caller.TenantID}, apiKeyTenant)
	if err != nil {
		return APIKeyView{}, err
	}
	return ViewAPIKey(k), nil
}

// List returns every key the caller's scope sees (latchkey's extension for
// the console: FusionAuth has no list endpoint), never a key value.
func (ks *APIKeys) List(ctx context.Context, caller storage.APIKey) ([]APIKeyView, error) {
	if err := ks.MayCreate(caller); err != nil {
		return nil, err
	}
	keys, err := scopedList(ctx, ks.Store.ListAPIKeys, Scope{TenantID: caller.TenantID}, apiKeyTenant)
	if err != nil {
		return nil, err
	}
	out := make([]APIKeyView, len(keys))
	for i, k := range keys {
		out[i] = ViewAPIKey(k)
	}
	return out, nil
}

// apiKeyTenant: a global key ("") is seen by global callers only.
func apiKeyTenant(k storage.APIKey) string {
	if k.TenantID == "" {
		return "\x00global"
	}
	return k.TenantID
}
