-- User comments (FusionAuth's User Comment API, user-comments.mdx): notes
-- admins leave on a user. A comment goes with the user it is about (hard
-- delete cascades); commenter_id has no foreign key, so the notes a deleted
-- admin wrote about others stay, naming the id that wrote them. tenant_id is
-- the user's, for a tenant-scoped search.
CREATE TABLE user_comments (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL,
    commenter_id   TEXT NOT NULL,
    comment        TEXT NOT NULL,
    insert_instant BIGINT NOT NULL
);
CREATE INDEX user_comments_user ON user_comments (user_id, insert_instant);
CREATE INDEX user_comments_commenter ON user_comments (commenter_id);
