-- Groups, their application roles and their members (issue 12). A group's
-- roles name role ids of an application; a member registered for that
-- application gets them in its tokens. Deleting a group, user or
-- application removes what names it.
CREATE TABLE user_groups (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    doc        TEXT NOT NULL,
    UNIQUE (tenant_id, name_lower)
);

CREATE TABLE group_roles (
    group_id       TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    role_id        TEXT NOT NULL,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_application ON group_roles (application_id);

CREATE TABLE group_members (
    id             TEXT PRIMARY KEY,
    group_id       TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    insert_instant INTEGER NOT NULL,
    data           TEXT NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);
