-- pending: how many of count's charges belong to attempts still in flight
-- (reserved before their check, neither refunded nor settled as a failure).
-- A counter full of pending charges makes a reservation wait instead of
-- locking; only settled failures (count - pending) lock (auth/lockout.go,
-- docs/decisions.md "Unsettled charges wait, settled failures lock").
ALTER TABLE login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
