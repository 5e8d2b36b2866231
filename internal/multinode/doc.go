// Package multinode holds the tests that run several real `latchkey serve`
// processes against one PostgreSQL database (issue #5): a refresh token
// issued by one node works on another, concurrent refreshes of one token on
// two nodes yield one successor, reuse detection, lockout counting, signing
// keys and application changes are shared, N nodes starting at once on an
// empty schema apply the Kickstart and create keys exactly once, and a node
// whose database disappears answers 503 and recovers by itself.
//
// It has no non-test code. The tests build cmd/latchkey once (TestMain) and
// talk to the processes over HTTP on 127.0.0.1 only, as an operator's load
// balancer would; they need LATCHKEY_TEST_POSTGRES_DSN (see
// scripts/postgres-test.sh) and skip without it, except under
// LATCHKEY_REQUIRE_ALL=1 where a missing PostgreSQL is a failure.
//
// It must not import internal/app, internal/server or internal/auth: what is
// tested is the program as shipped, through its wire format. It may import
// internal/storage/sqlstorage for the throwaway schema helper.
package multinode
