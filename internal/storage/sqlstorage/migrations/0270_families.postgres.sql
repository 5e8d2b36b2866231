-- Families (FusionAuth's Family API, families.mdx): users grouped with a
-- role each (Adult, Teen, Child). A family lives while it has a member: a
-- member goes with their user (hard delete cascades; deleteUserTx first
-- deletes the families whose last member the user is), and a family goes
-- with its tenant. tenant_id is the members' tenant (all of them share it).
CREATE TABLE families (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    insert_instant      BIGINT NOT NULL,
    last_update_instant BIGINT NOT NULL
);
CREATE INDEX families_tenant ON families (tenant_id);
CREATE TABLE family_members (
    family_id           TEXT NOT NULL REFERENCES families (id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                TEXT NOT NULL,
    owner               INTEGER NOT NULL DEFAULT 0,
    data                TEXT NOT NULL DEFAULT '{}',
    insert_instant      BIGINT NOT NULL,
    last_update_instant BIGINT NOT NULL,
    PRIMARY KEY (family_id, user_id)
);
CREATE INDEX family_members_user ON family_members (user_id);
-- Pending children (GET /api/user/family/pending?parentEmail=) are found
-- by the parentEmail in the user's JSON document, scanning the tenant's
-- users: an index on that expression would make every user write parse
-- the document, and refuse one that is not JSON.
