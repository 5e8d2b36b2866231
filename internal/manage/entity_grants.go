package manage

import (
	"context"
	"errors"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// UpsertGrant gives g's recipient (exactly one of recipientEntityId and
// userId) permissions on entityID, replacing an earlier grant to the same
// recipient (grants.mdx: POST /api/entity/{id}/grant). Every permission must
// be one of the entity type's.
//
// When the entity or the recipient is deleted between these checks and the
// write, the store refuses the write (ErrNotFound, a foreign key): the
// checks run again, so the answer is the one a request after the deletion
// gets (404 for the entity, 400 for the recipient), never a 500. When a
// permission is deleted from the type in between, the store refuses the
// write too (ErrStale: it checks the permissions again in the write's
// transaction), and the checks run again: 400 on grant.permissions, as for
// a request after the deletion, and no grant names the deleted permission.
func (es *Entities) UpsertGrant(ctx context.Context, scope Scope, entityID string, g storage.EntityGrant) (storage.EntityGrant, error) {
	out := g
	err := retryStale(func() error {
		var err error
		out, err = es.upsertGrant(ctx, scope, entityID, g)
		return err
	})
	return out, err
}

// upsertGrant is one attempt of UpsertGrant.
func (es *Entities) upsertGrant(ctx context.Context, scope Scope, entityID string, g storage.EntityGrant) (storage.EntityGrant, error) {
	en, err := es.checkGrant(ctx, scope, entityID, g)
	if err != nil {
		return g, err
	}
	if g.Permissions == nil {
		g.Permissions = []string{}
	}
	now := es.now()
	g.ID, g.EntityID, g.InsertInstant, g.LastUpdateInstant = newID(), entityID, now, now
	stored, err := es.Store.UpsertEntityGrant(ctx, g, audit(ctx, es.Now(), en.TenantID, "Granted "+grantRecipient(g.RecipientEntityID, g.UserID)+
		" permissions on the entity with Id ["+entityID+"]", nil, g))
	if errors.Is(err, storage.ErrNotFound) {
		if _, again := es.checkGrant(ctx, scope, entityID, g); again != nil {
			return g, again
		}
		return g, ErrNotFound
	}
	return stored, err
}

// checkGrant checks a grant on entityID as UpsertGrant describes and
// returns the entity.
func (es *Entities) checkGrant(ctx context.Context, scope Scope, entityID string, g storage.EntityGrant) (storage.Entity, error) {
	en, err := es.Get(ctx, scope, entityID)
	if err != nil {
		return en, err
	}
	e := &Invalid{}
	switch {
	case (g.RecipientEntityID == "") == (g.UserID == ""):
		e.Field("blank", "grant.recipientEntityId", "Name exactly one of [grant.recipientEntityId] and [grant.userId].")
	case g.RecipientEntityID != "":
		if _, err := es.Get(ctx, scope, g.RecipientEntityID); errors.Is(err, ErrNotFound) {
			e.Field("invalid", "grant.recipientEntityId", "The [grant.recipientEntityId] does not name an entity.")
		}
	default:
		if u, err := es.Store.GetUser(ctx, g.UserID); errors.Is(err, storage.ErrNotFound) || (err == nil && !scope.Sees(u.TenantID)) {
			e.Field("invalid", "grant.userId", "The [grant.userId] does not name a user.")
		}
	}
	t, err := es.Store.GetEntityType(ctx, en.TypeID)
	if err != nil {
		return en, notFound(err)
	}
	for _, p := range g.Permissions {
		if !slices.ContainsFunc(t.Permissions, func(tp storage.EntityTypePermission) bool { return tp.Name == p }) {
			e.Field("invalid", "grant.permissions", "The permission ["+truncate(p, 64)+"] is not a permission of the entity's type.")
		}
	}
	return en, e.Err()
}

// GetGrant returns the grant on entityID to a recipient entity or user.
func (es *Entities) GetGrant(ctx context.Context, scope Scope, entityID, recipientEntityID, userID string) (storage.EntityGrant, error) {
	if _, err := es.Get(ctx, scope, entityID); err != nil {
		return storage.EntityGrant{}, err
	}
	g, err := es.Store.GetEntityGrant(ctx, entityID, recipientEntityID, userID)
	return g, notFound(err)
}

// ListGrants lists the grants on entityID.
func (es *Entities) ListGrants(ctx context.Context, scope Scope, entityID string) ([]storage.EntityGrant, error) {
	if _, err := es.Get(ctx, scope, entityID); err != nil {
		return nil, err
	}
	gs, err := es.Store.ListEntityGrants(ctx, entityID)
	if gs == nil {
		gs = []storage.EntityGrant{}
	}
	return gs, err
}

// DeleteGrant removes the grant on entityID to a recipient entity or user.
func (es *Entities) DeleteGrant(ctx context.Context, scope Scope, entityID, recipientEntityID, userID string) error {
	en, err := es.Get(ctx, scope, entityID)
	if err != nil {
		return err
	}
	if recipientEntityID == "" && userID == "" {
		return invalid("blank", "recipientEntityId", "Name the grant's recipient: ?recipientEntityId= or ?userId=.")
	}
	old, err := es.Store.GetEntityGrant(ctx, entityID, recipientEntityID, userID)
	if err != nil {
		return notFound(err)
	}
	return notFound(es.Store.DeleteEntityGrant(ctx, entityID, recipientEntityID, userID, audit(ctx, es.Now(), en.TenantID,
		"Deleted the grant to "+grantRecipient(recipientEntityID, userID)+" on the entity with Id ["+entityID+"]", old, nil)))
}

// grantRecipient names a grant's recipient in an audit message.
func grantRecipient(recipientEntityID, userID string) string {
	if recipientEntityID != "" {
		return "the entity with Id [" + recipientEntityID + "]"
	}
	return "the user with Id [" + userID + "]"
}
