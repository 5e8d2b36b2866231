-- revision: a counter of an action taken's (an entity type's, an entity's)
-- row that every write of the row adds 1 to. A read-modify-write of the
-- whole row (a modify or cancel of /api/user/action/{id}; a permission
-- added to or deleted from an entity type; PUT and PATCH of an entity type
-- or entity) names the revision it read and writes only while the row
-- still has it (storage.ErrStale otherwise, and the use case reads again).
-- Rows start at 1, so 0 means "no condition".
ALTER TABLE user_action_logs ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE entity_types ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE entities ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
