-- revision: a counter of an identity provider's (a group's, a user action
-- definition's, a webhook's, a lambda's, an email template's) row that
-- every write of the row adds 1 to. PUT and PATCH of the record read it,
-- apply the body and write the whole document back; the write names the
-- revision it read and holds only while the row still has it
-- (storage.ErrStale otherwise, and the use case reads again:
-- docs/decisions.md, "optimistic revisions"). Rows start at 1, so 0 means
-- "no condition". A NOT NULL column with a constant default rewrites no row.
ALTER TABLE identity_providers ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE user_groups ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE user_actions ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE webhooks ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE lambdas ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE email_templates ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
