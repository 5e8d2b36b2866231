// Package janitor deletes what would otherwise grow forever: expired and
// long-revoked refresh tokens with their rotation history, old rotation
// history of live sessions, tombstones of deleted sessions, stale lockout
// counters, retired signing keys, sent mail, expired authorization codes and
// login sessions, and (in memory, on every node)
// expired DPoP replay entries.
//
// Each task deletes in bounded batches (one short transaction each, Batch
// rows at most, a pause between batches), so a SQLite login or refresh
// waiting for the writer waits for one batch at most, and a pass ends after
// MaxBatches per task whatever the backlog (the next pass goes on). When
// several nodes share PostgreSQL, one node at a time works: a pass starts
// only on the node holding the "janitor" lease (storage.JanitorStore
// ClaimLease), taken for one Interval and renewed before each task. Tasks
// are values, so other features add theirs (login records and audit
// retention, issue 14) without touching this package.
package janitor
