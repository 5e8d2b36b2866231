-- revision: a counter of a user's (a registration's) row that every write
-- of the row adds 1 to. A read-modify-write of the whole row (PUT and PATCH
-- of /api/user/{id} and of a registration) names the revision it read and
-- writes only while the row still has it (storage.ErrStale otherwise, and
-- the use case reads again: docs/decisions.md, "optimistic revisions").
-- Rows start at 1, so 0 means "no condition".
ALTER TABLE users ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE registrations ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
