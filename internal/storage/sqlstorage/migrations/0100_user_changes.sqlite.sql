-- A log of the users whose stored document or registrations changed, written
-- by triggers (issue 13, SQLite only: docs/decisions.md, "SQLite refresh
-- reads keep users and registrations between batches"). The refresh read
-- batcher keeps users' documents and registrations between its batches and
-- reads, in each batch's own read transaction, the entries added since the
-- last: every user named there is read from the tables again. Triggers, not
-- the store's code, write it, so that every write is seen: one by any
-- statement of this code, a cascade (an application's or a user's delete),
-- and one by another process sharing the file (latchkey admin, sqlite3).
-- A user's insert is not logged: a user no read found is not kept, and a
-- user deleted and created again with its id was logged by the delete.
-- seq only grows: the trigger that trims the log never deletes its newest
-- entry, so an INTEGER PRIMARY KEY (the largest rowid plus one) never hands
-- a number out twice. A reader that finds the entry it saw last trimmed
-- away forgets everything it kept.
CREATE TABLE user_changes (
    seq     INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL
);
CREATE TRIGGER user_changes_trim AFTER INSERT ON user_changes
WHEN NEW.seq % 4096 = 0
BEGIN
    DELETE FROM user_changes WHERE seq <= NEW.seq - 65536;
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
CREATE TRIGGER registrations_changed_insert AFTER INSERT ON registrations
BEGIN
    INSERT INTO user_changes (user_id) VALUES (NEW.user_id);
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
