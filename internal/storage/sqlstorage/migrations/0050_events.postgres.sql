-- Webhooks and lambdas (issue 14): FusionAuth's objects as JSON documents,
-- global as in FusionAuth. Their deliveries use the outbox of 0004 (queue
-- "webhook"), so no table is needed for them. Both are cached on every node
-- (the events' routing, the tokens' lambdas), so their writes notify the
-- change feed as 0010's records do.

CREATE TABLE webhooks (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE lambdas (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    doc  TEXT NOT NULL
);

CREATE TRIGGER webhooks_notify AFTER INSERT OR UPDATE OR DELETE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('webhook');
CREATE TRIGGER lambdas_notify AFTER INSERT OR UPDATE OR DELETE ON lambdas
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change('lambda');
