package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// sessionReads batches refresh reads (issue 13): the reads by family id
// that queue while one batch runs are run together. Nothing waits on a
// timer: a read with no concurrent company is alone in its batch.
//
// On PostgreSQL (this file) a batch is ONE statement, the session select
// joined with the array of their ids, the way rotations (pgrotate.go) batch
// the rotations. A refresh is one read and one rotation; with rotations
// batched, the reads were most of PostgreSQL's statements, and each
// statement costs the server (and this node) a round trip and a
// statement's fixed work whatever its rows. On SQLite (sqlitesession.go) a
// batch is one read transaction, so that its reads share the pages they
// read from the file.
//
// A read changes nothing, so a batch has no commit to wait for: on
// PostgreSQL each member is answered once the statement's rows are read,
// on SQLite as soon as its own family is read. An error of the batch is
// the error of every member not yet answered, as it would have been of its
// own statement. Reads by hash (values of the earlier format) are not
// batched.
type sessionReads struct {
	batcher[*readReq] // batch.go
	s                 *Store

	// closing is cancelled when the store closes: it ends a batch still at
	// the server (one waiting on a lock, or on a server that stopped
	// answering), so that Close does not wait for it.
	closing context.Context
	cancel  context.CancelFunc

	// conn is the batcher's own connection (used by its loop only). On
	// PostgreSQL, plan_cache_mode is force_generic_plan on it: PostgreSQL
	// otherwise plans the batch statement anew on nearly every run (the
	// custom plan of an array of known length looks cheaper than the
	// generic plan's 100-element guess), and planning it cost more CPU
	// than running it.
	// The generic plan is the same index nested loop. nil until first
	// used, and again after a connection error (on SQLite, after any
	// error of a batch).
	conn *sql.Conn
	// SQLite: the one-family read's two statements (the token; the user
	// and its registrations, when users does not keep them), the user
	// cache's three (the log read, prepared when first needed; the
	// schema's version; the check of the log's schema), and the
	// transaction's two, prepared on conn (sqlitesession.go,
	// usercache.go).
	token, user, sinceStmt, schemaVersion, schema, begin, commit *sql.Stmt
	users                                                        *userCache
	// ahead reads a batch's later members ahead of it while the file
	// comes from the disk (readahead.go); nil on PostgreSQL and in a pool
	// too small for it.
	ahead *readAhead
	// afterRead, when set (by tests, before the first read), is called on
	// SQLite after each member's read and answer, inside the batch's
	// transaction, with the batch's context and the member's family id.
	afterRead func(ctx context.Context, id string)
	// pin says whether the batcher may hold a connection of its own: not
	// in a pool so small that holding one would starve the other queries.
	pin bool

	// started counts batches begun, grouped the ones that carried more
	// than one read, ended the ones that returned: for tests.
	started, grouped, ended atomic.Int64
}

// readReq is one read waiting for a batch.
type readReq struct {
	ctx context.Context
	id  string
	at  int64
	out chan readRes // buffered: the batcher never blocks on a caller
}

type readRes struct {
	sess storage.RefreshSession
	err  error
}

func (r *readReq) caller() context.Context { return r.ctx }
func (r *readReq) fail(err error)          { r.out <- readRes{err: err} }

// minPinnedPool is the smallest pool the read batcher takes a connection
// of its own from.
const minPinnedPool = 4

func newSessionReads(s *Store, poolSize int) *sessionReads {
	b := &sessionReads{s: s, pin: poolSize >= minPinnedPool}
	if s.dialect == DialectSQLite {
		b.users = newUserCache()
		b.ahead = newReadAhead(s, poolSize)
	}
	b.closing, b.cancel = context.WithCancel(context.Background())
	b.start(b.run)
	return b
}

// do reads the family id names as at.
func (b *sessionReads) do(ctx context.Context, id string, at int64) (storage.RefreshSession, error) {
	req := &readReq{ctx: ctx, id: id, at: at, out: make(chan readRes, 1)}
	res, err := call(&b.batcher, ctx, req, req.out, true) // a read: nothing to wait for once ctx ends
	if err != nil {
		return storage.RefreshSession{}, err
	}
	return res.sess, res.err
}

// run reads one batch (batch.go calls it with the live members) and
// answers each member.
func (b *sessionReads) run(live []*readReq) {
	b.started.Add(1)
	if len(live) > 1 {
		b.grouped.Add(1)
	}
	defer b.ended.Add(1)
	ctx, stop := b.batchContext(live)
	defer stop()
	if b.s.dialect == DialectSQLite {
		b.inOneTransaction(ctx, live) // answers each member as soon as it is read
		return
	}
	got, errs, err := b.together(ctx, live)
	for i, r := range live {
		switch {
		case err != nil:
			r.out <- readRes{err: b.closedOr(err)}
		case errs[i] != nil:
			r.out <- readRes{err: errs[i]}
		case got[i] == nil:
			r.out <- readRes{err: storage.ErrNotFound}
		default:
			r.out <- readRes{sess: *got[i]}
		}
	}
}

// closedOr is the error a member is answered when its batch failed:
// errStoreClosed when the batch was ended by the store closing (its
// context then reports only "canceled", although the caller's is fine),
// err otherwise.
func (b *sessionReads) closedOr(err error) error {
	if b.closing.Err() != nil && errors.Is(err, context.Canceled) {
		return errStoreClosed
	}
	return err
}

// batchContext is the context of one batch's statement: it follows no one
// member's cancellation, but ends when every member has given up (nobody
// waits for the rows any more) or the store closes. Each member's caller
// already stops waiting at its own deadline (do); this ends the statement
// at the server too, so that a batch stuck on a lock does not hold every
// later read, nor Close. stop releases what it registered.
func (b *sessionReads) batchContext(live []*readReq) (context.Context, func()) {
	ctx, cancel := context.WithCancel(b.closing)
	var waiting atomic.Int64
	waiting.Store(int64(len(live)))
	stops := make([]func() bool, 0, len(live))
	for _, r := range live {
		stops = append(stops, context.AfterFunc(r.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}

// batchSessionSQL is sessionSelect for every (id, at) pair at once, each
// row carrying its pair's position (1-based) first.
var batchSessionSQL = `SELECT k.n, ` + tokenColumnsOf("t") + `, u.doc,
		EXISTS (SELECT 1 FROM user_action_logs a WHERE a.user_id = t.user_id AND a.prevent_login = TRUE AND a.canceled = FALSE AND a.expiry > k.at),
		r.doc
	FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(id, at, n)
	JOIN refresh_tokens t ON t.id = k.id
	JOIN users u ON u.id = t.user_id
	LEFT JOIN registrations r ON r.user_id = t.user_id
	ORDER BY k.n, r.application_id`

// together runs the batch as one statement and returns each member's
// session by position (nil: no such family). A stored document that does
// not decode fails its own member only (errs), as its own read would have;
// an error of the statement is every member's (err).
func (b *sessionReads) together(ctx context.Context, live []*readReq) (out []*storage.RefreshSession, errs []error, err error) {
	n := len(live)
	ids, at := make([]string, n), make([]int64, n)
	for i, r := range live {
		ids[i], at[i] = r.id, r.at
	}
	rows, err := b.query(ctx, ids, at)
	if err != nil {
		return nil, nil, b.s.wrap(err)
	}
	defer rows.Close()
	out, errs = make([]*storage.RefreshSession, n), make([]error, n)
	var (
		pos      int64
		x        tokenRow
		userDoc  string
		maybe    bool
		regDoc   sql.NullString
		cur      *storage.RefreshSession
		prevSeen int64
	)
	dest := append(append([]any{&pos}, x.dest()...), &userDoc, &maybe, &regDoc)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, b.s.wrap(err)
		}
		if pos < 1 || pos > int64(n) {
			return nil, nil, errors.New("sqlstorage: batched session read: row of no member")
		}
		if pos != prevSeen {
			prevSeen = pos
			cur = &storage.RefreshSession{MaybePrevented: maybe}
			out[pos-1] = cur
			if cur.Token, err = x.token(); err != nil {
				errs[pos-1] = err
				continue
			}
			if err := decode(userDoc, &cur.User); err != nil {
				errs[pos-1] = err
				continue
			}
			cur.User.Registrations = []storage.Registration{}
		}
		if errs[pos-1] != nil {
			continue
		}
		if regDoc.Valid {
			var r storage.Registration
			if err := decode(regDoc.String, &r); err != nil {
				errs[pos-1] = err
				continue
			}
			r.UserID = cur.User.ID
			cur.User.Registrations = append(cur.User.Registrations, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, b.s.wrap(err)
	}
	return out, errs, nil
}

// query runs the batch statement on the batcher's connection, taking one
// from the pool when it has none. A read changes nothing, so when that
// connection fails (dropped, or the server restarted) it is closed and the
// statement runs once more on the pool, as database/sql retries a pooled
// statement on a bad connection. In a pool smaller than minPinnedPool it
// runs on the pool (planned as PostgreSQL chooses).
func (b *sessionReads) query(ctx context.Context, ids []string, at []int64) (*sql.Rows, error) {
	if !b.pin {
		return b.s.r.QueryContext(ctx, batchSessionSQL, ids, at)
	}
	if b.conn == nil {
		c, err := b.s.r.DB.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := c.ExecContext(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
			_ = c.Close()
			if ctx.Err() == nil {
				b.pin = false // a server that refuses the setting: the pool from now on
			}
			return b.s.r.QueryContext(ctx, batchSessionSQL, ids, at)
		}
		b.conn = c
	}
	rows, err := b.conn.QueryContext(ctx, batchSessionSQL, ids, at)
	if err == nil {
		return rows, nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code[:2] != "08" && pgErr.Code[:2] != "57" {
		return nil, err // the server refused the statement: the same elsewhere
	}
	b.release(context.Background())
	if ctx.Err() != nil {
		return nil, err // the batch was given up: nobody waits for a retry
	}
	return b.s.r.QueryContext(ctx, batchSessionSQL, ids, at)
}

// release hands the batcher's connection back to the pool (which discards
// it when it is broken) with the pool's plan_cache_mode.
// It waits at most a few seconds for a server that no longer answers.
func (b *sessionReads) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, _ = b.conn.ExecContext(ctx, `RESET plan_cache_mode`)
	_ = b.conn.Close()
	b.conn = nil
}

// close stops the loop; queued reads are answered errStoreClosed or run in
// a last batch, each exactly once.
func (b *sessionReads) close() {
	b.cancel()
	b.stop()
	if b.ahead != nil {
		b.ahead.stop() // after the loop: nothing queues reads ahead any more
	}
	if b.conn == nil { // the loop has returned: its connection is free
		return
	}
	if b.s.dialect == DialectSQLite {
		b.closeSQLiteConn(nil)
		return
	}
	b.release(context.Background())
}
