package manage

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// EntitiesStore is what the entity use cases touch.
type EntitiesStore interface {
	storage.EntityStore
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// Entities is FusionAuth's entity management (apis/entities/*.mdx): entity
// types with their permissions, entities with client credentials (the
// client_credentials grant's clients), and grants between them.
type Entities struct {
	Store EntitiesStore
	Now   func() time.Time
}

// now is the clock in FusionAuth instants (ms).
func (es *Entities) now() int64 { return es.Now().UnixMilli() }

// conflict turns the store's ErrConflict into a field problem.
func conflict(err error, kind, field, message string) error {
	if errors.Is(err, storage.ErrConflict) {
		return invalid(kind, field, message)
	}
	return err
}

// CreateType stores a new entity type with id ("" generates one).
func (es *Entities) CreateType(ctx context.Context, id string, t storage.EntityType) (storage.EntityType, error) {
	if id == "" {
		id = newID()
	}
	now := es.now()
	t.ID, t.InsertInstant, t.LastUpdateInstant = id, now, now
	for i := range t.Permissions {
		t.Permissions[i].ID, t.Permissions[i].InsertInstant, t.Permissions[i].LastUpdateInstant = newID(), now, now
	}
	if err := validateEntityType(t).Err(); err != nil {
		return t, err
	}
	return t, conflict(es.Store.CreateEntityType(ctx, t, audit(ctx, es.Now(), "", "Created the entity type with Id ["+t.ID+"]", nil, t)), "duplicate", "entityType.name", "An entity type with that name or id already exists.")
}

// GetType returns a type; ErrNotFound when unknown.
func (es *Entities) GetType(ctx context.Context, id string) (storage.EntityType, error) {
	t, err := es.Store.GetEntityType(ctx, id)
	return t, notFound(err)
}

// ListTypes lists every type.
func (es *Entities) ListTypes(ctx context.Context) ([]storage.EntityType, error) {
	ts, err := es.Store.ListEntityTypes(ctx)
	if ts == nil {
		ts = []storage.EntityType{}
	}
	return ts, err
}

// SearchTypes lists the types whose name matches name (FusionAuth's
// EntityTypeSearchCriteria.name: a pattern with * wildcards, MatchPattern);
// every type when name is empty.
func (es *Entities) SearchTypes(ctx context.Context, name string) ([]storage.EntityType, error) {
	ts, err := es.ListTypes(ctx)
	if err != nil || name == "" {
		return ts, err
	}
	out := []storage.EntityType{}
	for _, t := range ts {
		if MatchPattern(name, t.Name) {
			out = append(out, t)
		}
	}
	return out, nil
}

// UpdateType replaces a type through change; id, permissions (they have
// their own API) and insert instant stay. Like every change of a type here
// it is a read-modify-write retried by retryStale: the write holds only
// while the type is as it was read, so a concurrent change answered before
// it is never overwritten (docs/decisions.md); change runs once per try.
func (es *Entities) UpdateType(ctx context.Context, id string, change func(storage.EntityType) (storage.EntityType, error)) (storage.EntityType, error) {
	var t storage.EntityType
	err := retryStale(func() error {
		cur, err := es.GetType(ctx, id)
		if err != nil {
			return err
		}
		if t, err = change(cur); err != nil {
			return err
		}
		t.ID, t.Permissions, t.InsertInstant, t.LastUpdateInstant, t.Revision = cur.ID, cur.Permissions, cur.InsertInstant, es.now(), cur.Revision
		if err := validateEntityType(t).Err(); err != nil {
			return err
		}
		return conflict(notFound(es.Store.UpdateEntityType(ctx, t, audit(ctx, es.Now(), "", "Updated the entity type with Id ["+t.ID+"]", cur, t))), "duplicate", "entityType.name", "An entity type with that name already exists.")
	})
	return t, err
}

// DeleteType removes a type with its entities and their grants.
func (es *Entities) DeleteType(ctx context.Context, id string) error {
	t, err := es.GetType(ctx, id)
	if err != nil {
		return err
	}
	return notFound(es.Store.DeleteEntityType(ctx, id, audit(ctx, es.Now(), "", "Deleted the entity type with Id ["+id+"]", t, nil)))
}

// AddPermission adds a permission (names are unique per type and
// immutable), on the type as it is when the write holds (retryStale): of
// concurrent adds, each one answered 200 is kept.
func (es *Entities) AddPermission(ctx context.Context, typeID, id string, p storage.EntityTypePermission) (storage.EntityTypePermission, error) {
	if id == "" {
		id = newID()
	}
	err := retryStale(func() error {
		t, err := es.GetType(ctx, typeID)
		if err != nil {
			return err
		}
		now := es.now()
		p.ID, p.InsertInstant, p.LastUpdateInstant = id, now, now
		old := t
		t.Permissions = append(slices.Clip(t.Permissions), p)
		if err := validateEntityType(t).Err(); err != nil {
			return err
		}
		return notFound(es.Store.UpdateEntityType(ctx, t,
			audit(ctx, es.Now(), "", "Added the permission ["+p.Name+"] to the entity type with Id ["+t.ID+"]", old, t)))
	})
	return p, err
}

// DeletePermission removes a permission of a type by id; the store takes
// its name out of every grant on the type's entities in the same write.
func (es *Entities) DeletePermission(ctx context.Context, typeID, id string) error {
	return retryStale(func() error {
		t, err := es.GetType(ctx, typeID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Permissions, func(p storage.EntityTypePermission) bool { return p.ID == id })
		if i < 0 {
			return ErrNotFound
		}
		old, name := t, t.Permissions[i].Name
		t.Permissions = slices.Delete(slices.Clone(t.Permissions), i, i+1)
		return notFound(es.Store.UpdateEntityType(ctx, t,
			audit(ctx, es.Now(), "", "Deleted the permission ["+name+"] of the entity type with Id ["+t.ID+"]", old, t)))
	})
}

func validateEntityType(t storage.EntityType) *Invalid {
	e := &Invalid{}
	if t.Name == "" {
		e.Field("blank", "entityType.name", "You must specify the [entityType.name] property.")
	}
	if j := t.JWTConfiguration; j.Enabled && (j.TimeToLiveInSeconds <= 0 || j.TimeToLiveInSeconds > 366*24*3600) {
		e.Field("invalid", "entityType.jwtConfiguration.timeToLiveInSeconds", "With jwtConfiguration.enabled, give a timeToLiveInSeconds from 1 to a year.")
	}
	seen := map[string]bool{}
	for _, p := range t.Permissions {
		switch {
		case p.Name == "":
			e.Field("blank", "permission.name", "You must specify the [permission.name] property.")
		case seen[p.Name]:
			e.Field("duplicate", "permission.name", "The permission ["+truncate(p.Name, 64)+"] already exists on this entity type.")
		}
		seen[p.Name] = true
	}
	return e
}

// Create stores a new entity of typeID in the scope's tenant: clientId
// defaults to the id, a blank clientSecret is generated.
func (es *Entities) Create(ctx context.Context, scope Scope, id, typeID string, en storage.Entity) (storage.Entity, error) {
	if id == "" {
		id = newID()
	}
	now := es.now()
	en.ID, en.TypeID, en.InsertInstant, en.LastUpdateInstant = id, typeID, now, now
	en.TenantID = scope.TenantID
	if en.TenantID == "" {
		en.TenantID = DefaultTenantID
	}
	finishEntity(&en, "")
	e := &Invalid{}
	if en.Name == "" {
		e.Field("blank", "entity.name", "You must specify the [entity.name] property.")
	}
	if typeID == "" {
		e.Field("blank", "entity.type.id", "You must specify the [entity.type.id] property.")
	} else if _, err := es.Store.GetEntityType(ctx, typeID); errors.Is(err, storage.ErrNotFound) {
		e.Field("invalid", "entity.type.id", "The [entity.type.id] does not name an entity type.")
	}
	if err := e.Err(); err != nil {
		return en, err
	}
	return en, conflict(es.Store.CreateEntity(ctx, en, audit(ctx, es.Now(), en.TenantID, "Created the entity with Id ["+en.ID+"]", nil, en)), "duplicate", "entity.clientId", "An entity with that id or clientId already exists.")
}

func finishEntity(en *storage.Entity, oldSecret string) {
	if en.ClientID == "" {
		en.ClientID = en.ID
	}
	if en.ClientSecret == "" {
		en.ClientSecret = oldSecret
	}
	if en.ClientSecret == "" {
		en.ClientSecret = rand.Text() + rand.Text()
	}
}

// Get returns an entity the scope sees.
func (es *Entities) Get(ctx context.Context, scope Scope, id string) (storage.Entity, error) {
	en, err := es.Store.GetEntity(ctx, id)
	if err == nil && !scope.Sees(en.TenantID) {
		return en, ErrNotFound
	}
	return en, notFound(err)
}

// Search is GET/POST /api/entity/search as far as latchkey implements it:
// the entities of List with one of ids (all when none), one page of them
// and their total, by every search's rule (paging.go).
func (es *Entities) Search(ctx context.Context, scope Scope, ids []string, startRow, numberOfResults int) ([]storage.Entity, int, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(startRow, numberOfResults)...)
	checkFilterIDs(e, "search.ids", ids)
	if len(ids) > MaxPageSize {
		e.Field("tooMany", "search.ids", "At most "+itoa(MaxPageSize)+" ids per request.")
	}
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	ens, err := es.List(ctx, scope)
	if err != nil {
		return nil, 0, err
	}
	if len(ids) > 0 {
		ens = slices.DeleteFunc(ens, func(en storage.Entity) bool {
			return !slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, en.ID) })
		})
	}
	page, err := PageOf(ens, startRow, numberOfResults)
	return page, len(ens), err
}

// List lists the scope's entities.
func (es *Entities) List(ctx context.Context, scope Scope) ([]storage.Entity, error) {
	tid := scope.TenantID
	if tid == "" {
		tid = DefaultTenantID
	}
	ens, err := es.Store.ListEntities(ctx, tid)
	if ens == nil {
		ens = []storage.Entity{}
	}
	return ens, err
}

// Update replaces an entity through change; id, type, tenant stay, a blank
// secret keeps the old one. A read-modify-write retried by retryStale, as
// UpdateType; change runs once per try.
func (es *Entities) Update(ctx context.Context, scope Scope, id string, change func(storage.Entity) (storage.Entity, error)) (storage.Entity, error) {
	var en storage.Entity
	err := retryStale(func() error {
		cur, err := es.Get(ctx, scope, id)
		if err != nil {
			return err
		}
		if en, err = change(cur); err != nil {
			return err
		}
		en.ID, en.TypeID, en.TenantID, en.InsertInstant, en.LastUpdateInstant = cur.ID, cur.TypeID, cur.TenantID, cur.InsertInstant, es.now()
		en.Revision = cur.Revision
		finishEntity(&en, cur.ClientSecret)
		if en.Name == "" {
			return invalid("blank", "entity.name", "You must specify the [entity.name] property.")
		}
		return conflict(notFound(es.Store.UpdateEntity(ctx, en, audit(ctx, es.Now(), en.TenantID, "Updated the entity with Id ["+en.ID+"]", cur, en))), "duplicate", "entity.clientId", "An entity with that clientId already exists.")
	})
	return en, err
}

// Delete removes an entity and its grants.
func (es *Entities) Delete(ctx context.Context, scope Scope, id string) error {
	en, err := es.Get(ctx, scope, id)
	if err != nil {
		return err
	}
	return notFound(es.Store.DeleteEntity(ctx, id, audit(ctx, es.Now(), en.TenantID, "Deleted the entity with Id ["+id+"]", en, nil)))
}
