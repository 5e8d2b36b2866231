package sqlstorage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Seeding a database at scale (issue 13: "with 1,000,000 users and
// 10,000,000 refresh tokens stored, every figure within 10 % of the empty
// database's"): latchkey seed writes the population, latchkey bench then
// measures among it (docs/performance.md). Not a storage.Storage method:
// nothing in the server calls it.
//
// Users are written by ImportUsers, as POST /api/user/import writes them
// (user row, registration, search row and its FTS5 entry). Refresh tokens
// are written as CreateRefreshToken writes them, in multi-row INSERTs, with
// the columns a rotation reads and writes filled as rotation leaves them.
// Everything is a pure function of the index, so the test can present a
// seeded token (SeedTokenValue) to the real refresh path.

// Seed is what SeedScale writes.
type Seed struct {
	// ApplicationID is the application every user is registered to and
	// every token belongs to; it must exist (its tenant is the users').
	ApplicationID string
	Users, Tokens int
	// Now anchors the instants (default time.Now).
	Now time.Time
	// Progress, when set, is called after each batch with the rows written.
	Progress func(users, tokens int)
}

// Seeded token kinds, by SeedTokenKind.
const (
	SeedLive           = "live"            // rotated (generation > 0) or not, expires in the future
	SeedRevoked        = "revoked"         // revoked by a logout, not yet expired
	SeedRevokedExpired = "revoked-expired" // revoked, and expired since
)

// SeedTokenKind is the kind of seeded token i: 85 % live, 5 % revoked, 10 %
// revoked and expired. No token is expired and unrevoked: the janitor purges
// those within one pass (5 minutes), so a running database holds next to
// none, while revoked ones are kept for the revocation feed (the longest
// refresh-token lifetime, 30 days in the example Kickstart).
func SeedTokenKind(i int) string {
	switch i % 20 {
	case 17:
		return SeedRevoked
	case 18, 19:
		return SeedRevokedExpired
	}
	return SeedLive
}

// seedUUID is a version-4-shaped UUID derived from label and i: random-
// looking, as user ids and the families made before version 7 ids are
// (index and page-split behaviour), yet reproducible.
func seedUUID(label string, i int) uuid.UUID {
	h := sha256.Sum256(fmt.Appendf(nil, "latchkey-seed/%s/%d", label, i))
	var u uuid.UUID
	copy(u[:], h[:16])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// SeedUserID is the id of seeded user i.
func SeedUserID(i int) string { return seedUUID("user", i).String() }

// SeedUserEmail is the email of seeded user i.
func SeedUserEmail(i int) string { return fmt.Sprintf("seed-user-%d@example.test", i) }

// SeedTokenID is the id (family) of seeded token i.
func SeedTokenID(i int) string { return seedUUID("token", i).String() }

// SeedTokenUser is the index of the user seeded token i belongs to, among n users.
func SeedTokenUser(i, n int) int { return i % n }

// seedGeneration is token i's generation: most sessions were rotated a few
// times, some many times.
func seedGeneration(i int) int { return (i / 20) % 40 }

// SeedTokenValue is the current refresh-token value of seeded token i, in
// the format auth issues (internal/auth/refresh_value.go: version 1, family
// id, generation, secret, tag). The tag is not a valid one (the successor
// key is the server's), which only matters for an ancestor value: the
// current value is recognised by its stored hash. A live one refreshes.
func SeedTokenValue(i int) string {
	id := seedUUID("token", i)
	b := make([]byte, 0, 1+16+4+32+16)
	b = append(b, 1)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(seedGeneration(i)))
	secret := sha256.Sum256(fmt.Appendf(nil, "latchkey-seed/secret/%d", i))
	b = append(b, secret[:]...)
	tag := sha256.Sum256(fmt.Appendf(nil, "latchkey-seed/tag/%d", i))
	b = append(b, tag[:16]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// seedBcrypt is one bcrypt hash (cost 10) in FusionAuth's import form, as
// internal/userimport's seed uses: the import runs no KDF, so one hash for
// every user costs what distinct ones would.
const (
	seedBcryptSalt = "N9qo8uLOickgx2ZMRZoMye"
	seedBcryptHash = "IjZAgcfl7p92ldGxad68LJZdL17lhWy"
)

// seedBatch is the rows of one transaction: big enough that commits do not
// dominate, small enough that a SQLite WAL stays a few tens of megabytes.
const seedBatch = 20000

// ErrSeedNotEmpty: SeedScale refuses a database that holds users or refresh
// tokens.
var ErrSeedNotEmpty = errors.New("sqlstorage: seed: the database already has users or refresh tokens; seed only an empty database made for benchmarks (its users share a known password and its token values are computable)")

// SeedScale writes o's users and tokens into a database without users or
// refresh tokens (ErrSeedNotEmpty otherwise; the
// ids are fixed, so seeding twice is ErrConflict).
func (s *Store) SeedScale(ctx context.Context, o Seed) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Users <= 0 && o.Tokens > 0 {
		return errors.New("sqlstorage: seed: tokens need users")
	}
	// The seed's users share one known password hash and its refresh
	// token values follow from their index: in a database with real users
	// they would be accounts and sessions anyone reading this code could
	// use. Only a database without users or refresh tokens is seeded.
	var used bool
	if err := s.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM refresh_tokens)`).Scan(&used); err != nil {
		return fmt.Errorf("sqlstorage: seed: %w", err)
	}
	if used {
		return ErrSeedNotEmpty
	}
	app, err := s.GetApplication(ctx, o.ApplicationID)
	if err != nil {
		return fmt.Errorf("sqlstorage: seed: application %s: %w", o.ApplicationID, err)
	}
	if s.dialect == DialectSQLite {
		// The seed's random keys (ids, hashes) land all over the indexes: with
		// SQLite's default 2 MB page cache the writer rereads and rewrites
		// pages through the OS on nearly every row (1,000,000 tokens took 5
		// minutes). A large cache on the writer connection for the seed only.
		var was int
		if err := s.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
			return err
		}
		// And no fsync per batch: a seed cut short is seeded again from
		// scratch anyway (its ids are fixed). One checkpoint at the end.
		for _, p := range []string{`PRAGMA cache_size = -3000000`, `PRAGMA synchronous = OFF`} {
			if _, err := s.w.ExecContext(ctx, p); err != nil {
				return err
			}
		}
		defer func() {
			ctx := context.WithoutCancel(ctx)
			_, _ = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			_, _ = s.w.ExecContext(ctx, `PRAGMA synchronous = FULL`)
			_, _ = s.w.ExecContext(ctx, `PRAGMA cache_size = `+strconv.Itoa(was))
		}()
	}
	now := o.Now.UnixMilli()
	for start := 0; start < o.Users; start += seedBatch {
		b := storage.UserImport{Users: make([]storage.User, 0, seedBatch)}
		for i := start; i < min(start+seedBatch, o.Users); i++ {
			joined := now - int64(i%1000)*86_400_000
			b.Users = append(b.Users, storage.User{
				ID: SeedUserID(i), TenantID: app.TenantID, Active: true, Verified: true,
				Email: SeedUserEmail(i), FirstName: "Seed", LastName: fmt.Sprintf("User %d", i),
				Data:          map[string]any{"source": "latchkey seed", "n": i},
				InsertInstant: joined, LastUpdateInstant: now, PasswordLastUpdateInstant: joined,
				Password: storage.PasswordHash{Scheme: "bcrypt", Factor: 10, Salt: seedBcryptSalt, Hash: seedBcryptHash},
				Registrations: []storage.Registration{{
					ID: seedUUID("registration", i).String(), ApplicationID: app.ID, UserID: SeedUserID(i),
					Roles: []string{"user"}, Verified: true, InsertInstant: joined, LastUpdateInstant: now,
				}},
			})
		}
		if err := s.ImportUsers(ctx, b); err != nil {
			return fmt.Errorf("sqlstorage: seed: users %d-: %w", start, err)
		}
		if o.Progress != nil {
			o.Progress(start+len(b.Users), 0)
		}
	}
	// The refresh_tokens indexes other than its keys are dropped for the
	// inserts and built again after, from their own definitions (a sort
	// instead of a random insert per row): the same indexes as migrations
	// made.
	indexes, err := s.seedDropIndexes(ctx)
	if err != nil {
		return err
	}
	for start := 0; start < o.Tokens; start += seedBatch {
		rows := make([][]any, 0, seedBatch)
		for i := start; i < min(start+seedBatch, o.Tokens); i++ {
			row, err := seedToken(i, o.Users, app, o.Now)
			if err != nil {
				return err
			}
			rows = append(rows, row)
		}
		err := s.tx(ctx, func(q querier) error {
			return s.insertRows(ctx, unprepared(q), `INSERT INTO refresh_tokens (`+storedTokenColumns+`, cur_hash) VALUES `, rows)
		})
		if err != nil {
			return fmt.Errorf("sqlstorage: seed: tokens %d-: %w", start, err)
		}
		if o.Progress != nil {
			o.Progress(o.Users, start+len(rows))
		}
	}
	for _, def := range indexes {
		if _, err := s.w.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("sqlstorage: seed: %s: %w", def, err)
		}
	}
	// PostgreSQL's autovacuum analyzes a table this size on its own; now,
	// so the first runs do not plan without statistics. SQLite gets none:
	// latchkey never runs ANALYZE, so a database grown by use has no
	// sqlite_stat1 and its plans are the schema's.
	if s.dialect == DialectPostgres {
		_, err = s.w.ExecContext(ctx, `ANALYZE`)
	}
	return err
}

// seedDropIndexes drops refresh_tokens' secondary indexes (not the primary
// key's nor the UNIQUE hash's) and returns the statements that make them again.
func (s *Store) seedDropIndexes(ctx context.Context) ([]string, error) {
	query := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'refresh_tokens' AND sql IS NOT NULL`
	if s.dialect == DialectPostgres {
		query = `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'refresh_tokens' AND schemaname = current_schema()
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`
	}
	rows, err := s.w.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := s.w.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// seedLifetime is how long after its last use a seeded token expires.
const seedLifetime = 30 * 24 * time.Hour

// seedTimes are seeded token i's creation and last use, for a seed made at
// now: created up to 30 days before, last used (rotated) in between in
// proportion to its generation.
func seedTimes(i int, now time.Time) (start, lastUsed time.Time) {
	start = now.Add(-time.Duration(i%30)*24*time.Hour - time.Duration(i%86_400)*time.Second)
	lastUsed = start
	if gen := seedGeneration(i); gen > 0 {
		lastUsed = start.Add(now.Sub(start) * time.Duration(gen) / 41)
	}
	return start, lastUsed
}

// SeedSample is draw number draw (1, 2, ...) of n seeded tokens among
// tokens spread over users: each live, each of a distinct user, and each
// unexpired for at least left after the seeding whatever the application's
// expiration policy (Fixed counts the lifetime from the login, the
// family's start; SlidingWindow from its last use, which is later; a
// rotation stores the policy's expiry). The draws are consecutive blocks
// of one fixed random sequence of such tokens, users never repeating
// within it, so draws of the same n share no user: one experiment's
// rotations never turn another's values into reused ones. Their values
// (SeedTokenValue) are sessions spread over the whole population, for
// latchkey bench --refresh-tokens (latchkey seed --print-tokens).
func SeedSample(n, draw, users, tokens int, left time.Duration) ([]int, error) {
	if n < 1 || draw < 1 || users < 1 || tokens < 1 {
		return nil, errors.New("sqlstorage: a sample needs n, draw, users and tokens above 0")
	}
	if n > users || draw > users/n || n*draw > tokens {
		return nil, fmt.Errorf("sqlstorage: draw %d of %d sessions of distinct users needs %d users and tokens; there are %d users and %d tokens", draw, n, n*draw, users, tokens)
	}
	want := n * draw
	var now time.Time // any instant: only the difference matters
	r := rand.New(rand.NewPCG(0x5eed5a3b1e, 0x5eed))
	seen := make(map[int]bool, want)
	out := make([]int, 0, want)
	for tries := 0; len(out) < want && tries < 100*want+10_000; tries++ {
		i := r.IntN(tokens)
		u := SeedTokenUser(i, users)
		if start, _ := seedTimes(i, now); SeedTokenKind(i) != SeedLive || seen[u] || start.Add(seedLifetime).Sub(now) < left {
			continue
		}
		seen[u] = true
		out = append(out, i)
	}
	if len(out) < want {
		return nil, fmt.Errorf("sqlstorage: found %d of the %d live tokens of distinct users with %s left that draw %d of %d needs, among %d tokens over %d users", len(out), want, left, draw, n, tokens, users)
	}
	return out[want-n:], nil
}

// seedToken is token i's row in storedTokenColumns' order and cur_hash, as
// the code of migration 0090 (before families were created ReadByID) and
// the rotations that followed would have left it: a rotated family's
// current hash in cur_hash, its first one in hash. That is a database
// upgraded from then, the harder case: every family's entry in the UNIQUE
// index on hash is at a random place, where a family created since has its
// id's (familyKey).
func seedToken(i, users int, app storage.Application, now time.Time) ([]any, error) {
	const day = 24 * time.Hour
	gen := seedGeneration(i)
	start, lastUsed := seedTimes(i, now)
	var prev []byte
	var rotated int64 // 0 = never rotated, as insertToken stores it
	current := sha256.Sum256([]byte(SeedTokenValue(i)))
	hash, cur := current[:], any(nil)
	if gen > 0 {
		first := sha256.Sum256(fmt.Appendf(nil, "latchkey-seed/first/%d", i))
		hash, cur = first[:], current[:]
		h := sha256.Sum256(fmt.Appendf(nil, "latchkey-seed/previous/%d", i))
		prev = h[:]
		rotated = ms(lastUsed)
	}
	expires := lastUsed.Add(seedLifetime)
	var revoked any
	reason := ""
	switch SeedTokenKind(i) {
	case SeedRevoked:
		revoked, reason = ms(now.Add(-time.Duration(i%48)*time.Hour)), "logout"
	case SeedRevokedExpired:
		expires = now.Add(-time.Duration(1+i%72) * time.Hour)
		revoked, reason = ms(expires.Add(-day)), "logout"
	}
	device, err := encode(storage.DeviceInfo{LastAccessedAddress: fmt.Sprintf("198.51.100.%d", i%250+1),
		LastAccessedInstant: ms(lastUsed)})
	if err != nil {
		return nil, err
	}
	scopes, err := encode([]string(nil))
	if err != nil {
		return nil, err
	}
	return []any{SeedTokenID(i), app.TenantID, SeedUserID(SeedTokenUser(i, users)), app.ID, hash, prev,
		rotated, gen, ms(start), ms(lastUsed), ms(expires), ms(start), scopes, "", device, ms(start),
		revoked, reason, cur}, nil
}
