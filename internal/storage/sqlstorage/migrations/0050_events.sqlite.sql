-- Webhooks and lambdas (issue 14): FusionAuth's objects as JSON documents,
-- global as in FusionAuth. Their deliveries use the outbox of 0004 (queue
-- "webhook"), so no table is needed for them.

CREATE TABLE webhooks (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE lambdas (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    doc  TEXT NOT NULL
);
