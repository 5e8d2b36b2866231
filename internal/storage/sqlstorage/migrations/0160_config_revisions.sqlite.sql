-- revision: a counter of an application's (a tenant's, the system
-- configuration's) row that every write of the row adds 1 to. A
-- read-modify-write of the whole document (PUT and PATCH of
-- /api/application/{id}, its role routes, its reactivation and
-- deactivation; PUT and PATCH of /api/tenant/{id} and of
-- /api/system-configuration) names the revision it read and writes only
-- while the row still has it (storage.ErrStale otherwise, and the use
-- case reads again: docs/decisions.md, "optimistic revisions").
-- Rows start at 1, so 0 means "no condition".
ALTER TABLE applications ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE system_configuration ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
