// Package cache is latchkey's one cache primitive: values by key, loaded on
// demand, served from memory while younger than a TTL, with
//
//   - the TTL measured on the monotonic clock (time.Now's monotonic reading),
//     from the moment the load started, so a wall-clock step never extends
//     it and an entry is never older than the TTL counted from its read;
//   - single flight: concurrent Gets of one key share one load, which runs
//     detached from the callers' contexts (bounded by LoadTimeout), so a
//     caller that gives up does not fail the others;
//   - explicit Forget/ForgetAll (the record changed: the next Get loads, and
//     a load that was running when Forget was called is not stored, so a
//     value read before a change never outlives the news of it) and Expire
//     (load again, but keep the old value as the last good one);
//   - keep-last-good: when a reload fails with a transient error (the
//     database does not answer), the previous value is served for at most
//     KeepLastGood past its TTL; errors are never cached, and a value whose
//     reload says "not found" is dropped at once.
//
// It imports nothing of latchkey: the consumers pass their loader and
// decide which errors are transient (storage.Transient).
//
// # Every freshness bound in latchkey
//
// A change made through a node's own API applies on that node's next request
// (the handler calls Forget). On the other nodes:
//
//   - with PostgreSQL, the writing transaction sends a NOTIFY (triggers of
//     sqlstorage migration 0010) and every node's change feed, a LISTEN on a
//     dedicated connection (sqlstorage/changes.go), makes its caches Forget
//     the record as the change commits: in effect on the next request,
//     milliseconds later (TestChangesArePushedToOtherNodes in
//     internal/multinode, with caches that would keep for an hour);
//   - while a node's feed is down (database outage, connection lost), its
//     caches fall back to their TTL below; a dead connection that looks
//     alive is found by a ping after 10 s of silence (5 s to answer), and
//     on reconnection the feed says ChangeAll and everything cached is
//     dropped (TestChangeFeedReconnects, TestChangeFeedRecoversAfterDatabaseOutage);
//   - with SQLite there is one node, and its handlers Forget what they change.
//
// The TTLs (the worst case while the feed is down), and how long a value is
// still served when reloading it fails because the database does not answer:
//
//	what                     TTL     kept on DB errors   owner
//	tenants                  1 s     +1 min              internal/auth (cache.go)
//	applications             0.5 s   +1 min              internal/auth (cache.go)
//	lambdas                  0.5 s   +1 min              internal/auth (lambdas.go; feed kind lambda, migration 0050)
//	webhooks (the list)      1 s     +1 min              internal/events (publisher.go; feed kind webhook, migration 0050)
//	signing key set          0.5 s   +1 min              internal/keys (manager.go; RefreshInterval set by internal/app)
//	  a token naming an unknown kid reloads at once, at most once per min(TTL, 1 s)
//	CORS allowed origins     1 s     +1 min, then none   internal/server (cors_origins.go; forgotten on application
//	                                                     and system-configuration changes, here and via the feed)
//
// The successor keys (internal/auth) are configuration (the server secret),
// not cached records. LATCHKEY_CACHE_TTL replaces the first six TTLs (up to one hour; useful
// with PostgreSQL, where the feed carries the changes and the TTL is only
// the fallback). Users, registrations, refresh tokens, lockout counters and
// API keys are not cached: a change applies on the next request to any node.
package cache
