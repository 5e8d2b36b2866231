-- User search (issue 12): one row per user with the searchable fields
-- lower-cased by latchkey (Go's Unicode case mapping, so both dialects and
-- every locale agree), written in the transaction of every user write.
-- text joins the fields between newlines, so a term without '*' matches a
-- field that contains it exactly when text contains it. A pg_trgm GIN index
-- on text (https://www.postgresql.org/docs/15/pgtrgm.html#PGTRGM-INDEX)
-- serves LIKE '%term%' without reading every row.
CREATE TABLE user_search (
    user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    text           TEXT NOT NULL,
    login          TEXT NOT NULL,
    email          TEXT NOT NULL,
    username       TEXT NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    full_name      TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    insert_instant BIGINT NOT NULL
);
CREATE INDEX user_search_login ON user_search (login, user_id);
CREATE INDEX user_search_email ON user_search (email, user_id);
CREATE INDEX user_search_inserted ON user_search (insert_instant, user_id);

-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the
-- database owner may create it. It goes to the public schema when it can
-- (one copy for every schema of the database), else to the current one; an
-- existing installation is used wherever it is. Without the privilege the
-- index is skipped and search still works, by reading every row: Open logs
-- a warning then (docs/performance.md).
DO $$
DECLARE
    ext_schema TEXT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
            BEGIN
                CREATE EXTENSION pg_trgm;
            EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
                RAISE NOTICE 'pg_trgm unavailable: user search will not be indexed';
            END;
        END;
    END IF;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX user_search_trgm ON user_search USING gin (text %I.gin_trgm_ops)', ext_schema);
    END IF;
END
$$;
