-- User action definitions and the actions taken on users (issue 12).
-- prevent_login and expiry are copied from the definition and the request
-- when the action is taken, so the login gate reads one index:
-- user_action_logs_preventing holds only actions that prevent login.
CREATE TABLE user_actions (
    id         TEXT PRIMARY KEY,
    name_lower TEXT NOT NULL UNIQUE,
    doc        TEXT NOT NULL
);

CREATE TABLE user_action_logs (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    prevent_login  INTEGER NOT NULL,
    canceled       INTEGER NOT NULL,
    expiry         INTEGER NOT NULL,
    insert_instant INTEGER NOT NULL,
    doc            TEXT NOT NULL
);
CREATE INDEX user_action_logs_user ON user_action_logs (user_id, insert_instant);
CREATE INDEX user_action_logs_preventing ON user_action_logs (user_id, expiry) WHERE prevent_login = 1;
