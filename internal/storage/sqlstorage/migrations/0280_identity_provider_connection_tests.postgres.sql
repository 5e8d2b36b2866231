-- Identity provider connection tests (FusionAuth's /api/identity-provider/test,
-- apis/identity-providers/test.mdx): started by the API, completed once by a
-- test-mode sign-in through the provider, which records its steps (a JSON
-- array) and the account it resolved. A test goes with its provider and its
-- tenant; it is unusable and invisible once expires_instant has passed.
CREATE TABLE identity_provider_connection_tests (
    id                        TEXT PRIMARY KEY,
    tenant_id                 TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    identity_provider_id      TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    insert_instant            BIGINT NOT NULL,
    expires_instant           BIGINT NOT NULL,
    complete_instant          BIGINT NOT NULL DEFAULT 0,
    steps                     TEXT NOT NULL DEFAULT '[]',
    identity_provider_user_id TEXT NOT NULL DEFAULT '',
    email                     TEXT NOT NULL DEFAULT '',
    username                  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_provider_connection_tests_provider ON identity_provider_connection_tests (identity_provider_id);
CREATE INDEX identity_provider_connection_tests_tenant ON identity_provider_connection_tests (tenant_id);
-- The janitor deletes expired tests (identity_provider_connection_tests task).
CREATE INDEX identity_provider_connection_tests_expiry ON identity_provider_connection_tests (expires_instant);
