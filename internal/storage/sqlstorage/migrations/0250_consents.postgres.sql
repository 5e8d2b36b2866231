-- Consents (FusionAuth's Consent API, apis/consents): the definitions are
-- global and named uniquely without case; a user consent is one granted to a
-- user. A user consent goes with its user and with its consent (both hard
-- deletes cascade, as FusionAuth deletes the granted consents with the
-- definition); giver_user_id has no foreign key, so a consent a deleted
-- parent gave stays, naming the id that gave it. tenant_id is the user's,
-- for a tenant-scoped key. doc is the JSON document; revision the write
-- counter of optimistic updates (0140_row_revisions).
CREATE TABLE consents (
    id         TEXT PRIMARY KEY,
    name_lower TEXT NOT NULL UNIQUE,
    revision   BIGINT NOT NULL DEFAULT 1,
    doc        TEXT NOT NULL
);
CREATE TABLE user_consents (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     TEXT NOT NULL,
    consent_id    TEXT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
    giver_user_id TEXT NOT NULL,
    revision      BIGINT NOT NULL DEFAULT 1,
    doc           TEXT NOT NULL
);
CREATE INDEX user_consents_user ON user_consents (user_id);
CREATE INDEX user_consents_consent ON user_consents (consent_id);
