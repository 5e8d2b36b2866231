-- User search (issue 12): one row per user with the searchable fields
-- lower-cased by latchkey (Go's Unicode case mapping, so both dialects and
-- every locale agree), written in the transaction of every user write.
-- text joins the fields between newlines, so a term without '*' matches a
-- field that contains it exactly when text contains it. user_search_fts is an
-- FTS5 trigram index over text (https://www.sqlite.org/fts5.html#the_trigram_tokenizer):
-- it narrows a search to the rows holding every 3-character piece of the
-- term; the exact per-field test then runs on those rows only. rid is an
-- INTEGER PRIMARY KEY so VACUUM keeps it (the FTS rows point at it).
CREATE TABLE user_search (
    rid            INTEGER PRIMARY KEY,
    user_id        TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    text           TEXT NOT NULL,
    login          TEXT NOT NULL,
    email          TEXT NOT NULL,
    username       TEXT NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    full_name      TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    insert_instant INTEGER NOT NULL
);
CREATE INDEX user_search_login ON user_search (login, user_id);
CREATE INDEX user_search_email ON user_search (email, user_id);
CREATE INDEX user_search_inserted ON user_search (insert_instant, user_id);

CREATE VIRTUAL TABLE user_search_fts USING fts5 (text, content = 'user_search', content_rowid = 'rid', tokenize = 'trigram');
CREATE TRIGGER user_search_ai AFTER INSERT ON user_search BEGIN
    INSERT INTO user_search_fts (rowid, text) VALUES (new.rid, new.text);
END;
CREATE TRIGGER user_search_ad AFTER DELETE ON user_search BEGIN
    INSERT INTO user_search_fts (user_search_fts, rowid, text) VALUES ('delete', old.rid, old.text);
END;
CREATE TRIGGER user_search_au AFTER UPDATE OF text ON user_search BEGIN
    INSERT INTO user_search_fts (user_search_fts, rowid, text) VALUES ('delete', old.rid, old.text);
    INSERT INTO user_search_fts (rowid, text) VALUES (new.rid, new.text);
END;
