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
    insert_instant BIGINT NOT NULL,
    data           TEXT NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Which groups grant roles in an application is cached with the
-- application (internal/auth), so a change to group_roles is announced as a
-- change of that application (migration 0010's channel and payload).
CREATE FUNCTION latchkey_notify_group_role() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    app_id TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        app_id := OLD.application_id;
    ELSE
        app_id := NEW.application_id;
    END IF;
    PERFORM pg_notify('latchkey_changes',
        json_build_object('schema', TG_TABLE_SCHEMA, 'kind', 'application', 'id', app_id)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER group_roles_notify AFTER INSERT OR UPDATE OR DELETE ON group_roles
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_group_role();
