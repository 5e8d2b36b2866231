-- Entity management (issue 11: client_credentials): FusionAuth's entity
-- types (permissions inside the document), entities with client
-- credentials, and grants of an entity to another entity or to a user.

CREATE TABLE entity_types (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);

CREATE TABLE entities (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    type_id   TEXT NOT NULL REFERENCES entity_types (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    doc       TEXT NOT NULL
);
CREATE INDEX entities_tenant ON entities (tenant_id, name);

CREATE TABLE entity_grants (
    id                  TEXT PRIMARY KEY,
    entity_id           TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    recipient_entity_id TEXT REFERENCES entities (id) ON DELETE CASCADE,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    doc                 TEXT NOT NULL,
    CHECK ((recipient_entity_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX entity_grants_entity ON entity_grants (entity_id, recipient_entity_id) WHERE recipient_entity_id IS NOT NULL;
CREATE UNIQUE INDEX entity_grants_user ON entity_grants (entity_id, user_id) WHERE user_id IS NOT NULL;
