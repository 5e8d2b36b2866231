-- A rotated-in signing key is published (JWKS) from its rotation but signs
-- only from activate_at, so resource servers learn it before any token
-- needs it (internal/keys, docs/decisions.md). 0: active at once (keys
-- created before this migration, and a cluster's first keys).
ALTER TABLE signing_keys ADD COLUMN activate_at BIGINT NOT NULL DEFAULT 0;
