-- Login records (one per successful login, inserted by RecordLogin in the
-- login's own transaction under an id the login chose, so UndoLogin takes
-- back exactly its own; purged by age) and the audit log (one entry per
-- management change, inserted in the change's transaction). Audit ids are a
-- sequence, as FusionAuth's are Longs.
CREATE TABLE login_records (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    application_id TEXT NOT NULL,
    instant        BIGINT NOT NULL,
    ip_address     TEXT NOT NULL,
    login_id       TEXT NOT NULL
);
CREATE INDEX login_records_user ON login_records (user_id, instant);
CREATE INDEX login_records_instant ON login_records (instant);

CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    insert_instant BIGINT NOT NULL,
    tenant_id      TEXT NOT NULL,
    insert_user    TEXT NOT NULL,
    message        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    data           TEXT NOT NULL,
    old_value      TEXT NOT NULL,
    new_value      TEXT NOT NULL
);
CREATE INDEX audit_log_instant ON audit_log (insert_instant);
