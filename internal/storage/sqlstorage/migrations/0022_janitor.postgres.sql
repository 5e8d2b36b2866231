-- The janitor (internal/janitor) purges what would otherwise grow forever,
-- in bounded batches: these indexes let each batch find its rows without a
-- scan, and the lease row lets one node at a time run it.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at);
CREATE INDEX refresh_token_history_superseded ON refresh_token_history (superseded_at);
CREATE INDEX login_failures_window ON login_failures (window_start);
CREATE TABLE leases (
    name  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
