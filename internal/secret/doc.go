// Package secret holds the server secret: the key material every node of one
// deployment shares and that must NOT live in the database, so that a copy
// of the database (a backup, a dump, a read replica, an SQL injection that
// reads rows) does not contain it.
//
// It has two uses, each with its own subkey: deriving a rotated refresh
// token's successor (internal/auth, docs/decisions.md "The successor secret
// lives outside the database": with the key in the database, a database copy
// plus any one old token value of a session would yield the session's
// current token without tripping reuse detection), and sealing TOTP secrets
// (internal/auth/seal.go: a database copy alone opens none).
//
// A secret is one or more keys, newest first: the first derives, every one
// is accepted when checking, so a key can be replaced without a flag day
// (put the new key first, keep the old one second for a while, then drop
// it). Each purpose gets its own subkey (HKDF-SHA256, RFC 5869, with the
// purpose as info), so one secret can serve later purposes without reusing
// a key across them.
//
// Where it comes from (internal/app): LATCHKEY_SECRET (the keys, comma
// separated), or LATCHKEY_SECRET_FILE (one key a line); with SQLite and
// neither set, a file next to the database, generated with mode 0600 on the
// first start (LoadOrCreate). PostgreSQL deployments must set one of the two
// (config.Validate), since every node needs the same secret.
package secret
