-- Identity providers (issue 11: federation, FusionAuth's OpenIDConnect
-- type) and the links of users to their upstream accounts.

CREATE TABLE identity_providers (
    id   TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);

CREATE TABLE identity_provider_links (
    identity_provider_id      TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    identity_provider_user_id TEXT NOT NULL,
    user_id                   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    doc                       TEXT NOT NULL,
    PRIMARY KEY (identity_provider_id, identity_provider_user_id)
);
CREATE INDEX identity_provider_links_user ON identity_provider_links (user_id);
