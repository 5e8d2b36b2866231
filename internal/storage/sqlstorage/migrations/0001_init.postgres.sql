-- latchkey schema v1 (PostgreSQL). Instants are BIGINT milliseconds since the Unix
-- epoch in UTC (0 = unset); revoked_at is NULL while a refresh token is live so
-- the rotation compare-and-swap reads "revoked_at IS NULL" in both dialects.
-- FusionAuth-shaped objects are stored as JSON documents next to the columns
-- that are looked up or constrained.

CREATE TABLE tenants (
    id   TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
);

CREATE TABLE applications (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    active    BOOLEAN NOT NULL,
    doc       TEXT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    email_lower    TEXT,
    username_lower TEXT,
    doc            TEXT NOT NULL,
    pw_scheme      TEXT NOT NULL DEFAULT '',
    pw_factor      INTEGER NOT NULL DEFAULT 0,
    pw_salt        TEXT NOT NULL DEFAULT '',
    pw_hash        TEXT NOT NULL DEFAULT ''
);
-- Unique per tenant, case-insensitively (the columns hold lowercased values; NULL when unset).
CREATE UNIQUE INDEX users_email ON users (tenant_id, email_lower) WHERE email_lower IS NOT NULL;
CREATE UNIQUE INDEX users_username ON users (tenant_id, username_lower) WHERE username_lower IS NOT NULL;

CREATE TABLE registrations (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    doc            TEXT NOT NULL,
    UNIQUE (user_id, application_id)
);
CREATE INDEX registrations_application ON registrations (application_id);

CREATE TABLE api_keys (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    key_hash           BYTEA NOT NULL UNIQUE,
    description        TEXT NOT NULL,
    endpoints          TEXT NOT NULL,
    key_manager        BOOLEAN NOT NULL,
    expiration_instant BIGINT NOT NULL,
    insert_instant     BIGINT NOT NULL
);

CREATE TABLE system_configuration (
    id  SMALLINT PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
);

CREATE TABLE refresh_tokens (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications (id) ON DELETE CASCADE,
    hash           BYTEA NOT NULL UNIQUE,
    prev_hash      BYTEA,
    rotated_at     BIGINT NOT NULL,
    generation     BIGINT NOT NULL,
    start_instant  BIGINT NOT NULL,
    last_used_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    auth_time      BIGINT NOT NULL,
    scopes         TEXT NOT NULL,
    dpop_jkt       TEXT NOT NULL,
    device         TEXT NOT NULL,
    inserted_at    BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoke_reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_application ON refresh_tokens (application_id);

-- Every superseded hash of a token family, so presenting any ancestor is detected as reuse.
CREATE TABLE refresh_token_history (
    hash          BYTEA PRIMARY KEY,
    token_id      TEXT NOT NULL REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    superseded_at BIGINT NOT NULL
);
CREATE INDEX refresh_token_history_token ON refresh_token_history (token_id);

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retire_at   BIGINT NOT NULL
);
-- At most one active key per algorithm: N nodes starting at once create one.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE state = 'active';

CREATE TABLE login_failures (
    user_id      TEXT PRIMARY KEY,
    count        BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

CREATE TABLE kickstart (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    claimed_at BIGINT NOT NULL
);

CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
