-- second_factor: the login that started the session completed a second
-- factor (the hosted two-factor step, or a passkey worth two factors). A
-- single sign-on hit for an application whose policy asks this user for a
-- second factor is sent through the step unless it is 1. Sessions from
-- before this migration count as without one (asked again at most once).
ALTER TABLE login_sessions ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
-- Revoking all of a user's refresh tokens (password change, global logout,
-- DELETE /api/jwt/refresh?userId=, a lock) ends the user's login sessions in
-- the same transaction: found by user. It also serves the ON DELETE CASCADE
-- of a user's delete.
CREATE INDEX login_sessions_user ON login_sessions (user_id);
