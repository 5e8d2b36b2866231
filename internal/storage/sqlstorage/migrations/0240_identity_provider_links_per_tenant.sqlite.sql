-- A link of a user to an upstream account belongs to the user's tenant, as
-- FusionAuth keeps it: the key (provider, upstream id) made one upstream
-- account one user across every tenant, so whichever tenant linked it first
-- held it, and a login through another tenant's application found a link it
-- could not follow. The key is now (tenant, provider, upstream id); each
-- link takes its user's tenant. SQLite cannot change a primary key in
-- place, so the table is made again and its rows copied.
CREATE TABLE identity_provider_links_per_tenant (
    tenant_id                 TEXT NOT NULL,
    identity_provider_id      TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    identity_provider_user_id TEXT NOT NULL,
    user_id                   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    doc                       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, identity_provider_id, identity_provider_user_id)
);
INSERT INTO identity_provider_links_per_tenant (tenant_id, identity_provider_id, identity_provider_user_id, user_id, doc)
SELECT u.tenant_id, l.identity_provider_id, l.identity_provider_user_id, l.user_id, l.doc
FROM identity_provider_links l JOIN users u ON u.id = l.user_id;
DROP TABLE identity_provider_links;
ALTER TABLE identity_provider_links_per_tenant RENAME TO identity_provider_links;
CREATE INDEX identity_provider_links_user ON identity_provider_links (user_id);
