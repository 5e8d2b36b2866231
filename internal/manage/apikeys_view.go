package manage

import (
	"context"
	"errors"
	"maps"
	"slices"

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
		MetaData: APIKeyMetaData{Attributes: maps.Clone(k.Attributes)}, KeyManager: k.KeyManager,
		ExpirationInstant: k.ExpirationInstant, InsertInstant: k.InsertInstant, LastUpdateInstant: max(k.LastUpdateInstant, k.InsertInstant)}
	if v.Permissions.Endpoints == nil {
		v.Permissions.Endpoints = map[string][]string{}
	}
	if v.MetaData.Attributes == nil {
		v.MetaData.Attributes = map[string]string{}
	}
	if k.Description != "" {
		v.MetaData.Attributes["description"] = k.Description
	}
	return v
}

// Get returns the key id as the API shows it; ErrNotFound when unknown or
// of a tenant the caller's scope does not see. Like create, it needs a key
// manager (apikeys.mdx: the API-key API is for key managers) holding at
// least the key's permissions.
func (ks *APIKeys) Get(ctx context.Context, caller storage.APIKey, id string) (APIKeyView, error) {
	k, err := ks.managed(ctx, caller, id)
	if err != nil {
		return APIKeyView{}, err
	}
	return ViewAPIKey(k), nil
}

// managed returns key id for caller to retrieve, update or delete: caller
// is a key manager, sees the key's tenant, and holds permissions equal to
// or greater than the key's (apikeys.mdx); a key it may not manage is
// ErrForbidden, one it does not see ErrNotFound.
func (ks *APIKeys) managed(ctx context.Context, caller storage.APIKey, id string) (storage.APIKey, error) {
	if err := ks.MayCreate(caller); err != nil {
		return storage.APIKey{}, err
	}
	k, err := scopedGet(ctx, ks.Store.GetAPIKey, id, Scope{TenantID: caller.TenantID}, apiKeyTenant)
	if err != nil {
		return storage.APIKey{}, err
	}
	if !mayManage(caller, k) {
		return storage.APIKey{}, ErrForbidden
	}
	return k, nil
}

// mayManage reports whether caller, a key manager seeing k's tenant, holds
// permissions equal to or greater than k's (apikeys.mdx): a super key
// manager manages every key; a restricted one no key manager and no key
// granting an endpoint or method it lacks.
func mayManage(caller, k storage.APIKey) bool {
	return len(caller.Endpoints) == 0 || (!k.KeyManager && endpointsWithin(k.Endpoints, caller.Endpoints))
}

// List returns the keys the caller could retrieve one by one (latchkey's
// extension for the console: FusionAuth has no list endpoint), never a key
// value: those of its tenant scope that it may manage (mayManage). A
// restricted manager is not shown the keys Get refuses it, not even their
// ids or permissions.
func (ks *APIKeys) List(ctx context.Context, caller storage.APIKey) ([]APIKeyView, error) {
	if err := ks.MayCreate(caller); err != nil {
		return nil, err
	}
	keys, err := scopedList(ctx, ks.Store.ListAPIKeys, Scope{TenantID: caller.TenantID}, apiKeyTenant)
	if err != nil {
		return nil, err
	}
	keys = slices.DeleteFunc(keys, func(k storage.APIKey) bool { return !mayManage(caller, k) })
	out := make([]APIKeyView, len(keys))
	for i, k := range keys {
		out[i] = ViewAPIKey(k)
	}
	return out, nil
}

// Delete removes key id (apikeys.mdx "Delete an API Key"), audited; it stops
// working on the next request on every node (keys are never cached). Like
// create it needs a key manager holding at least the key's permissions and
// sees only the caller's tenant. A key manager may delete itself: that is
// how a leaked key is killed with nothing but the key (its request, already
// authenticated, completes; the next one is refused).
func (ks *APIKeys) Delete(ctx context.Context, caller storage.APIKey, id string) error {
	k, err := ks.managed(ctx, caller, id)
	if err != nil {
		return err
	}
	return notFound(ks.Store.DeleteAPIKey(ctx, k.ID, audit(ctx, ks.Now(), k.TenantID,
		"Deleted the API key with Id ["+k.ID+"]", ViewAPIKey(k), nil)))
}

// Update replaces key id with in (apikeys.mdx "Update an API Key"):
// permissions, metaData, keyManager, expirationInstant and tenantId, by the
// rules of create (a key never grants more than its caller holds). A blank
// key keeps the key's value; a new one (16 characters at least) replaces it,
// and the old value is refused from the next request on every node.
func (ks *APIKeys) Update(ctx context.Context, caller storage.APIKey, id string, in NewAPIKey) (APIKeyView, error) {
	cur, err := ks.managed(ctx, caller, id)
	if err != nil {
		return APIKeyView{}, err
	}
	keep := in.Key == ""
	e, err := ks.check(ctx, caller, &in)
	if err == nil {
		err = e.Err()
	}
	if err != nil {
		return APIKeyView{}, err
	}
	rec := cur
	rec.TenantID, rec.Description, rec.Attributes, rec.Endpoints = in.TenantID, in.Description, otherAttributes(in.Attributes), in.Endpoints
	rec.KeyManager, rec.ExpirationInstant, rec.LastUpdateInstant = in.KeyManager, in.ExpirationInstant, ks.Now().UnixMilli()
	if !keep {
		rec.KeyHash = HashAPIKey(in.Key)
	}
	entry := audit(ctx, ks.Now(), rec.TenantID, "Updated the API key with Id ["+rec.ID+"]", ViewAPIKey(cur), ViewAPIKey(rec))
	switch err := ks.Store.UpdateAPIKey(ctx, rec, entry); {
	case errors.Is(err, storage.ErrConflict):
		return APIKeyView{}, invalid("duplicate", "apiKey.key", "An API key with this value already exists.")
	case err != nil:
		return APIKeyView{}, notFound(err)
	}
	return ViewAPIKey(rec), nil
}

// apiKeyTenant: a global key ("") is seen by global callers only.
func apiKeyTenant(k storage.APIKey) string {
	if k.TenantID == "" {
		return "\x00global"
	}
	return k.TenantID
}
