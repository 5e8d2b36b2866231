-- The event log (FusionAuth's Event Log API, event-logs.mdx): what failed in
-- background work (mail and webhook deliveries, lambdas). Ids grow in
-- insert order, so the janitor keeps the newest
-- systemConfiguration.eventLogConfiguration.numberToRetain by id.
CREATE TABLE event_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    insert_instant BIGINT NOT NULL,
    type           TEXT NOT NULL,
    message        TEXT NOT NULL
);
CREATE INDEX event_log_instant ON event_log (insert_instant);
