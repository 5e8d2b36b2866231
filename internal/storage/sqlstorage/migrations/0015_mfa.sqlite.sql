-- Two-factor methods, recovery codes, challenges, passkeys and rate
-- counters (issue 10). Instants are milliseconds since the epoch, 0 = unset.

-- secret is the sealed TOTP secret (AES-GCM, key outside this database by
-- default: docs/decisions.md); last_step is the highest accepted TOTP step,
-- the compare-and-swap that refuses a code twice.
CREATE TABLE two_factor_methods (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    method      TEXT NOT NULL,
    secret      BLOB,
    last_step   INTEGER NOT NULL DEFAULT 0,
    last_used   INTEGER NOT NULL DEFAULT 0,
    inserted_at INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (user_id, id)
);

-- SHA-256 of each unused recovery code.
CREATE TABLE two_factor_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    BLOB NOT NULL,
    PRIMARY KEY (user_id, hash)
);

-- Short-lived secrets between two steps of a flow, by SHA-256 of the value.
-- user_id is empty for a challenge bound to nobody yet (usernameless
-- passkey login), so it has no foreign key; flows re-read the user.
CREATE TABLE challenges (
    hash       BLOB PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    tenant_id  TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    data       BLOB
);
CREATE INDEX challenges_user ON challenges (user_id, kind);
CREATE INDEX challenges_expiry ON challenges (expires_at);

CREATE TABLE webauthn_credentials (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    sign_count    INTEGER NOT NULL DEFAULT 0,
    backup_state  INTEGER NOT NULL DEFAULT 0,
    last_use      INTEGER NOT NULL DEFAULT 0,
    inserted_at   INTEGER NOT NULL,
    public_key    BLOB NOT NULL,
    aaguid        BLOB,
    doc           TEXT NOT NULL
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id, inserted_at);

-- Fixed-window event counters for rate limits shared by every node.
CREATE TABLE rate_counters (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
);
