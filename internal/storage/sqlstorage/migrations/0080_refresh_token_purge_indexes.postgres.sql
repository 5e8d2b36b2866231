-- Purges and the revocation feed at scale (issue 13: 1,000,000 users and
-- 10,000,000 refresh tokens). With a plain index on revoked_at, the
-- janitor's "revoked_at IS NULL AND expires_at < now" was answered from the
-- revoked_at index's NULL entries: every live token, each looked up in the
-- table, on every pass, inside the purge's write. With a plain index on
-- expires_at the planner's other choice walks every expired but revoked
-- token, kept for the revocation feed. A partial index per branch holds
-- exactly the rows the branch purges. The revocation feed of an
-- application read all its tokens and sorted them; its index now holds
-- only revoked ones, in the feed's order. Live tokens are in neither
-- partial index of revoked_at, so a rotation writes no more index entries
-- than before.
DROP INDEX refresh_tokens_expires;
CREATE INDEX refresh_tokens_live_expires ON refresh_tokens (expires_at) WHERE revoked_at IS NULL;
DROP INDEX refresh_tokens_revoked;
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_revocations ON refresh_tokens (application_id, revoked_at, id) WHERE revoked_at IS NOT NULL;
