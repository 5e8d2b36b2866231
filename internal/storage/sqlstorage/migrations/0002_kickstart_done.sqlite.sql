-- Two-phase Kickstart claim (review of issue #2): owner identifies the node
-- attempt holding the claim, done_at is set once the Kickstart completed.
ALTER TABLE kickstart ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE kickstart ADD COLUMN done_at INTEGER;
-- Under 0001 a failed run deleted its claim, so a claim that is still there
-- was a completed Kickstart.
UPDATE kickstart SET done_at = claimed_at;
