-- The account flows (issue 9): single-use identifiers (changePasswordId,
-- verificationId, oneTimePassword), stored as SHA-256 only, and the password
-- history that rememberPreviousPasswords checks. Instants are milliseconds
-- since the epoch.

CREATE TABLE identifiers (
    hash       BYTEA PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX identifiers_user ON identifiers (user_id, kind);
CREATE INDEX identifiers_expiry ON identifiers (expires_at);

-- Previous password hashes, newest = highest id.
CREATE TABLE password_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    replaced_at BIGINT NOT NULL,
    pw_scheme   TEXT NOT NULL,
    pw_factor   INTEGER NOT NULL,
    pw_salt     TEXT NOT NULL,
    pw_hash     TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, id);
