-- user.action's "end" phase (issue 14): end_due is the instant (ms) at
-- which a temporal action's end event is due, 0 when none is (the action is
-- not temporal, its definition does not send end events, it was cancelled,
-- or the end was sent). The janitor reads the partial index for the due
-- ones and clears end_due with the event's outbox rows in one transaction.
-- Actions taken before this migration have none: no end event is owed for
-- them.
ALTER TABLE user_action_logs ADD COLUMN end_due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX user_action_logs_end_due ON user_action_logs (end_due) WHERE end_due > 0;
