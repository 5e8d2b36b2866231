package storage

import "context"

// EntityType is FusionAuth's entity type (apis/entities/entity-types.mdx):
// a kind of machine client with the permissions grants on its entities may
// give. Permissions live inside the type.
type EntityType struct {
	ID                string                 `json:"id"`
	Name              string                 `json:"name"`
	Data              map[string]any         `json:"data,omitempty"`
	JWTConfiguration  EntityJWTConfiguration `json:"jwtConfiguration"`
	Permissions       []EntityTypePermission `json:"permissions"`
	InsertInstant     int64                  `json:"insertInstant"`
	LastUpdateInstant int64                  `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read (1 for a new row; every
	// write adds 1): UpdateEntityType writes only while the row still has
	// it, when it is not 0. Never serialized.
	Revision int64 `json:"-"`
}

// EntityJWTConfiguration is entityType.jwtConfiguration: when enabled, the
// client_credentials token's signing key and lifetime.
type EntityJWTConfiguration struct {
	Enabled             bool   `json:"enabled"`
	AccessTokenKeyID    string `json:"accessTokenKeyId,omitempty"`
	TimeToLiveInSeconds int    `json:"timeToLiveInSeconds"`
}

// EntityTypePermission is one permission of an entity type; names are unique
// within the type.
type EntityTypePermission struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	Description       string         `json:"description,omitempty"`
	IsDefault         bool           `json:"isDefault"`
	Data              map[string]any `json:"data,omitempty"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
}

// Entity is FusionAuth's entity: a machine client with client credentials
// (apis/entities/entities.mdx). ClientID is unique; it defaults to the id.
type Entity struct {
	ID                string         `json:"id"`
	TenantID          string         `json:"tenantId"`
	Name              string         `json:"name"`
	TypeID            string         `json:"-"`
	ClientID          string         `json:"clientId"`
	ClientSecret      string         `json:"clientSecret"`
	Data              map[string]any `json:"data,omitempty"`
	ParentID          string         `json:"parentId,omitempty"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
	// Revision is the row's write counter as read, like
	// EntityType.Revision (UpdateEntity). Never serialized.
	Revision int64 `json:"-"`
}

// EntityGrant gives a recipient (another entity, or a user) permissions on
// an entity (apis/entities/grants.mdx); one per (entity, recipient).
type EntityGrant struct {
	ID                string         `json:"id"`
	EntityID          string         `json:"-"`
	RecipientEntityID string         `json:"recipientEntityId,omitempty"`
	UserID            string         `json:"userId,omitempty"`
	Permissions       []string       `json:"permissions"`
	Data              map[string]any `json:"data,omitempty"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
}

// EntityStore stores entity types, entities and grants.
type EntityStore interface {
	CreateEntityType(ctx context.Context, t EntityType, audit ...AuditEntry) error // ErrConflict: id or name taken
	GetEntityType(ctx context.Context, id string) (EntityType, error)
	ListEntityTypes(ctx context.Context) ([]EntityType, error)
	// UpdateEntityType replaces the type: ErrNotFound, ErrConflict (name),
	// ErrStale when t.Revision is not 0 and not the row's (nothing
	// written). A permission the type no longer has leaves every grant on
	// its entities in the same transaction, so no grant names a
	// permission of no type.
	UpdateEntityType(ctx context.Context, t EntityType, audit ...AuditEntry) error
	// DeleteEntityType removes the type, its entities and their grants.
	DeleteEntityType(ctx context.Context, id string, audit ...AuditEntry) error

	CreateEntity(ctx context.Context, e Entity, audit ...AuditEntry) error // ErrConflict: id or clientId taken; ErrNotFound: no such type
	GetEntity(ctx context.Context, id string) (Entity, error)
	FindEntityByClientID(ctx context.Context, clientID string) (Entity, error)
	// ListEntities lists a tenant's entities ordered by name.
	ListEntities(ctx context.Context, tenantID string) ([]Entity, error)
	// UpdateEntity replaces the entity: ErrNotFound, ErrConflict
	// (clientId), ErrStale when e.Revision is not 0 and not the row's.
	UpdateEntity(ctx context.Context, e Entity, audit ...AuditEntry) error
	// DeleteEntity removes the entity and every grant on it or to it.
	DeleteEntity(ctx context.Context, id string, audit ...AuditEntry) error

	// UpsertEntityGrant creates or replaces the grant of g.EntityID to its
	// recipient, keeping the existing id and insert instant, atomically:
	// concurrent first grants to one recipient all succeed, one creating
	// and the others replacing. ErrNotFound when the entity or the
	// recipient is gone; ErrStale, writing nothing, when g names a
	// permission the entity's type does not have as of the write (one
	// deleted since the caller checked: the check and the write are one).
	UpsertEntityGrant(ctx context.Context, g EntityGrant, audit ...AuditEntry) (EntityGrant, error)
	// GetEntityGrant finds the grant on entityID to the recipient entity or user.
	GetEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string) (EntityGrant, error)
	ListEntityGrants(ctx context.Context, entityID string) ([]EntityGrant, error)
	DeleteEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string, audit ...AuditEntry) error
}
