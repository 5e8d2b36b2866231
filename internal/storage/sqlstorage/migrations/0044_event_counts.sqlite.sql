-- The dashboard's hourly security-event counts (internal/tally): one row
-- per (hour, kind), hour in Unix milliseconds at the start of the UTC hour.
-- Every node adds its batch with count = count + excluded.count.
CREATE TABLE event_counts (
    hour  INTEGER NOT NULL,
    kind  TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour, kind)
);
