-- The webhook event log (issue 14): an outbox message names what it
-- delivers. ref is the queue's reference (the event id of a webhook
-- delivery, shared by its messages to each webhook) and summary a small
-- description without user data ({"webhookId","type"}), kept when the
-- payload is cleared on sending, so sent deliveries stay in the log until
-- the janitor purges them.

ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN summary TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_ref ON outbox (queue, ref);
