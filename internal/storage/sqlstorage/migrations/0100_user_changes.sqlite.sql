-- A log of the users whose stored document or registrations changed, written
-- by triggers (issue 13, SQLite only: docs/decisions.md, "SQLite refresh
-- reads keep users and registrations between batches"). The refresh read
-- batcher keeps users' documents and registrations between its batches and
-- reads, in each batch's own read transaction, the entries added since the
-- last: every user named there is read from the tables again. Triggers, not
-- the store's code, write it, so that every write is seen: one by any
-- statement of this code, a cascade (an application's or a user's delete),
-- and one by another process sharing the file (latchkey admin, sqlite3).
-- REPLACE and upserts delete a conflicting row without its delete trigger
-- (unless recursive_triggers is on), so the BEFORE triggers log the users of
-- the rows a new row or a changed key could conflict with (a registration
-- that conflicts on its user and application is its new user's, logged
-- anyway); for this code's writes, which never conflict, they find none.
-- seq is AUTOINCREMENT: a number is never handed out twice, even after the
-- log was emptied. The trim trigger keeps the newest 65,536 entries or
-- more. A reader that finds a gap after the entry it applied last forgets
-- everything it kept.
CREATE TABLE user_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL
);
CREATE TRIGGER user_changes_trim AFTER INSERT ON user_changes
WHEN NEW.seq % 4096 = 0
BEGIN
    DELETE FROM user_changes WHERE seq <= NEW.seq - 65536;
END;
CREATE TRIGGER users_changed_insert BEFORE INSERT ON users
BEGIN
    INSERT INTO user_changes (user_id) VALUES (NEW.id);
    INSERT INTO user_changes (user_id) SELECT id FROM users
    WHERE id <> NEW.id AND tenant_id = NEW.tenant_id
      AND (email_lower = NEW.email_lower OR username_lower = NEW.username_lower);
END;
CREATE TRIGGER users_key_changed BEFORE UPDATE OF id, tenant_id, email_lower, username_lower ON users
BEGIN
    INSERT INTO user_changes (user_id) SELECT id FROM users
    WHERE id <> OLD.id AND (id = NEW.id OR (tenant_id = NEW.tenant_id
      AND (email_lower = NEW.email_lower OR username_lower = NEW.username_lower)));
END;
CREATE TRIGGER users_changed_update AFTER UPDATE ON users
BEGIN
    INSERT INTO user_changes (user_id) VALUES (OLD.id);
    INSERT INTO user_changes (user_id) SELECT NEW.id WHERE NEW.id IS NOT OLD.id;
END;
CREATE TRIGGER users_changed_delete AFTER DELETE ON users
BEGIN
    INSERT INTO user_changes (user_id) VALUES (OLD.id);
END;
CREATE TRIGGER registrations_changed_insert BEFORE INSERT ON registrations
BEGIN
    INSERT INTO user_changes (user_id) VALUES (NEW.user_id);
    INSERT INTO user_changes (user_id) SELECT user_id FROM registrations
    WHERE id = NEW.id AND user_id <> NEW.user_id;
END;
CREATE TRIGGER registrations_key_changed BEFORE UPDATE OF id, user_id, application_id ON registrations
BEGIN
    INSERT INTO user_changes (user_id) SELECT user_id FROM registrations
    WHERE id = NEW.id AND id <> OLD.id;
END;
CREATE TRIGGER registrations_changed_update AFTER UPDATE ON registrations
BEGIN
    INSERT INTO user_changes (user_id) VALUES (OLD.user_id);
    INSERT INTO user_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT OLD.user_id;
END;
CREATE TRIGGER registrations_changed_delete AFTER DELETE ON registrations
BEGIN
    INSERT INTO user_changes (user_id) VALUES (OLD.user_id);
END;
