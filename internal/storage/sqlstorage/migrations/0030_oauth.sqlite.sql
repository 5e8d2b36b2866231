-- Authorization codes and login sessions (issue 11). Codes are kept after
-- use until they expire, so a replay is recognised and can revoke the grant
-- the first use created. Instants are milliseconds since the epoch, 0 = unset.

CREATE TABLE oauth_codes (
    hash           BLOB PRIMARY KEY,
    client_id      TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    challenge_method TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    auth_type      TEXT NOT NULL,
    grant_id       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    redeemed_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

-- One row per login on the hosted page; hash is the SSO cookie's, NULL when
-- the login set no cookie.
CREATE TABLE login_sessions (
    id         TEXT PRIMARY KEY,
    hash       BLOB UNIQUE,
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time  INTEGER NOT NULL,
    auth_type  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);

-- Which refresh-token records (grants) a login session issued, so ending
-- the session revokes them.
CREATE TABLE session_grants (
    token_id   TEXT PRIMARY KEY REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL
);
CREATE INDEX session_grants_session ON session_grants (session_id);
