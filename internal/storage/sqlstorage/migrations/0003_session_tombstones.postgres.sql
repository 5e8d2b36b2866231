-- Sessions of hard-deleted users and applications (review: the revocation
-- feed lost them). Their refresh_tokens rows cascade away with the user or
-- application, so DeleteUser/DeleteApplication copy them here in the same
-- transaction and ListRevocations lists both tables. No foreign keys: the
-- user and application are gone. Purged with DeleteExpiredRefreshTokens.
CREATE TABLE session_tombstones (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    application_id TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT NOT NULL,
    revoke_reason  TEXT NOT NULL
);
CREATE INDEX session_tombstones_feed ON session_tombstones (application_id, revoked_at, id);
CREATE INDEX session_tombstones_revoked ON session_tombstones (revoked_at);
