-- Email templates (FusionAuth's, global, unique names) and the durable
-- outbox (issue 9). Instants are milliseconds since the epoch, 0 = unset.

CREATE TABLE email_templates (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);

-- One row per message to deliver. A worker claims due rows by setting
-- lease_owner/lease_until (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
-- nodes never claim one row twice); an expired lease is claimable again.
-- payload is the queue's JSON, emptied once sent.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    queue           TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (queue, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox (queue, state, created_at);
CREATE INDEX outbox_done ON outbox (done_at) WHERE state = 'sent';
