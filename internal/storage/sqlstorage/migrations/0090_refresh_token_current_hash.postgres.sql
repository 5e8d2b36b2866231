-- A rotation no longer moves an entry of the UNIQUE index on
-- refresh_tokens.hash (issue 13: at 10,000,000 tokens that entry went to a
-- random, cold leaf of the index on every refresh: read, dirtied, written to
-- the WAL and checkpointed). hash keeps the value the family had when it
-- last rotated with history or at this upgrade (for a family created since,
-- its first); a rotation of a value that names its family (read by id) writes the
-- new current hash to cur_hash, which no index holds, and the current hash
-- is COALESCE(cur_hash, hash). Rotations of values of the earlier format
-- (looked up by hash) still write hash and clear cur_hash. Adding a nullable
-- column without a default rewrites no row on either backend.
ALTER TABLE refresh_tokens ADD COLUMN cur_hash BYTEA;
-- During a rolling upgrade a node still on the earlier code reads hash as
-- the current hash: for a family a new node has rotated that is the
-- family's first value, long rotated away, and its rotation (which sets
-- hash) would take a replay of that value as current. Such an UPDATE is
-- refused: the replay gets an error, not a token. The code since this
-- migration never sets hash on a row that keeps cur_hash. The trigger is an
-- AFTER trigger: PostgreSQL locks the old row for any BEFORE UPDATE row
-- trigger before it looks at the trigger's columns (an extra lock and WAL
-- record on every rotation, measured), while an AFTER trigger limited to
-- UPDATE OF hash costs the rotations that do not set hash nothing; its
-- error still rolls the statement back.
CREATE FUNCTION refresh_tokens_hash_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refresh_tokens: hash is not rotated once cur_hash is set (migration 0090)';
END
$$;
CREATE TRIGGER refresh_tokens_hash_kept AFTER UPDATE OF hash ON refresh_tokens
    FOR EACH ROW WHEN (NEW.cur_hash IS NOT NULL) EXECUTE FUNCTION refresh_tokens_hash_kept();
