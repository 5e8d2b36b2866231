-- The key deriving OneTimeUse refresh-token successors moved out of the
-- database into the server secret (internal/secret): with it here, a copy of
-- the database plus one old token value of a session yielded the session's
-- current value. Drop the old key so existing copies of new backups do not
-- carry it. Retries within the grace window of rotations made before the
-- upgrade are refused (404, nothing revoked); sessions are unaffected.
DELETE FROM server_secrets WHERE name = 'refresh-successor';
