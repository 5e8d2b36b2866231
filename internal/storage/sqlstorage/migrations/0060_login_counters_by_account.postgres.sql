-- Lockout counters are keyed by account AND client address (issue 15):
-- login_failures.user_id is now the counter's key (an account and an
-- address, an account's hourly share per address, or the account's ceiling)
-- and account names the account every counter of it belongs to, so a
-- user's delete, a password change or an unlock drops them all. Existing
-- rows were the per-account counters: their account is their key.
ALTER TABLE login_failures ADD COLUMN account TEXT NOT NULL DEFAULT '';
UPDATE login_failures SET account = user_id;
CREATE INDEX login_failures_account ON login_failures (account);
