-- pending_until: the instant a counter's pending charges lapse, the latest
-- heldUntil of the reservations that charged them (an attempt settles or
-- refunds its charge by then: its deadline and a margin). Past it the
-- charges belong to attempts whose node died; a reservation that finds the
-- counter full of them counts them as failures settled at pending_until
-- instead of waiting for them until the window restarts. 0: charged by a
-- version that set none (they never lapse, as before).
-- pending_epoch: how many times the counter's pending charges lapsed; a
-- charge keeps the epoch it was made in, so a settlement or refund that
-- arrives after its charge lapsed knows it counts as a failure already
-- (docs/decisions.md "Unsettled charges wait, settled failures lock").
ALTER TABLE login_failures ADD COLUMN pending_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE login_failures ADD COLUMN pending_epoch INTEGER NOT NULL DEFAULT 0;
