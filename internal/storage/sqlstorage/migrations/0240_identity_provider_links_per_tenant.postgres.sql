-- A link of a user to an upstream account belongs to the user's tenant, as
-- FusionAuth keeps it: the key (provider, upstream id) made one upstream
-- account one user across every tenant, so whichever tenant linked it first
-- held it, and a login through another tenant's application found a link it
-- could not follow. The key is now (tenant, provider, upstream id); each
-- link takes its user's tenant.
ALTER TABLE identity_provider_links ADD COLUMN tenant_id TEXT;
UPDATE identity_provider_links l SET tenant_id = u.tenant_id FROM users u WHERE u.id = l.user_id;
ALTER TABLE identity_provider_links ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE identity_provider_links DROP CONSTRAINT identity_provider_links_pkey;
ALTER TABLE identity_provider_links ADD PRIMARY KEY (tenant_id, identity_provider_id, identity_provider_user_id);
