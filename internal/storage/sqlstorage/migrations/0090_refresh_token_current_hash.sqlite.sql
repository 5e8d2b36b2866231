-- A rotation no longer moves an entry of the UNIQUE index on
-- refresh_tokens.hash (issue 13: at 10,000,000 tokens that entry went to a
-- random, cold leaf of the index on every refresh: read, dirtied, written to
-- the WAL and checkpointed). hash keeps the value the family was created
-- with; a rotation of a value that names its family (read by id) writes the
-- new current hash to cur_hash, which no index holds, and the current hash
-- is COALESCE(cur_hash, hash). Rotations of values of the earlier format
-- (looked up by hash) still write hash and clear cur_hash. Adding a nullable
-- column without a default rewrites no row on either backend.
ALTER TABLE refresh_tokens ADD COLUMN cur_hash BLOB;
