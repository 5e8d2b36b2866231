package sqlstorage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// rotations is PostgreSQL's group commit for the refresh hot path (issue 13):
// the rotations that queue while one is being committed go to the server as
// ONE statement, an UPDATE joined with the arrays of their ids, expected
// hashes and new hashes, which commits on its own (one round trip, one
// commit record, one WAL flush for all of them). Each rotation keeps its own
// compare-and-swap: a row is updated only when its current hash is the one
// the caller presented and it is not revoked, so a rotation that lost a race
// matches nothing, exactly as in the one-row UPDATE. Each caller is
// answered only once the statement has returned and the server has
// reported the end of its implicit transaction (rows.Close reads up to
// ReadyForQuery, which follows the commit and, under synchronous_commit=on,
// the WAL flush): nothing is acknowledged before it is durable.
//
// Two rotations of the same token are never in one batch (the second waits
// for the next), so the outcome is the one the one-row UPDATEs in queue
// order would give. A batch the server refuses as a whole (a deadlock with
// another node's batch, a serialization failure, a dropped connection) is
// not applied at all; each of its rotations is then run again alone, on its
// own context, with the usual retries. Nothing waits on a timer: a rotation
// with no concurrent company is alone in its batch and runs the one-row
// UPDATE it ran before.
//
// Only the hot path's plain swap batches (storage.Rotation with NoHistory
// and no Outbox); a rotation that writes history or events is a
// transaction of its own, as before.
type rotations struct {
	batcher[*rotReq] // batch.go, keyed by token: one rotation of a token per batch
	s                *Store

	// started counts batches begun (a lone rotation counts as one),
	// grouped the statements that carried more than one rotation: for
	// tests and the benchmark's report.
	started, grouped atomic.Int64
}

// rotReq is one rotation waiting for a batch.
type rotReq struct {
	ctx context.Context
	r   storage.Rotation
	out chan rotRes // buffered: the batcher never blocks on a caller
}

type rotRes struct {
	t   storage.RefreshToken
	err error // errNoSwap when the compare-and-swap matched nothing
}

func (r *rotReq) caller() context.Context { return r.ctx }
func (r *rotReq) fail(err error)          { r.out <- rotRes{err: err} }

func newRotations(s *Store) *rotations {
	b := &rotations{s: s}
	b.key = func(r *rotReq) string { return r.r.ID }
	b.start(b.run)
	return b
}

// do runs one rotation's swap and returns its outcome after its commit.
func (b *rotations) do(ctx context.Context, r storage.Rotation) (storage.RefreshToken, error) {
	req := &rotReq{ctx: ctx, r: r, out: make(chan rotRes, 1)}
	res, err := call(&b.batcher, ctx, req, req.out, false)
	if err != nil {
		return storage.RefreshToken{}, err
	}
	return res.t, res.err
}

// run commits one batch (batch.go calls it with the live members).
func (b *rotations) run(live []*rotReq) {
	b.started.Add(1)
	if len(live) == 1 {
		r := live[0]
		t, err := b.s.rotateOne(r.ctx, r.r)
		r.out <- rotRes{t: t, err: err}
		return
	}
	res, err := b.together(live)
	for _, r := range live {
		switch {
		case refusedWhole(err):
			t, err := b.s.rotateOne(r.ctx, r.r)
			r.out <- rotRes{t: t, err: err}
		case err != nil:
			r.out <- rotRes{err: b.s.wrap(err)}
		default:
			out, ok := res[r.r.ID]
			if !ok {
				out.err = errNoSwap
			} else {
				out.err = b.s.wrap(out.err)
			}
			r.out <- out
		}
	}
}

// refusedWhole reports whether err is the server's refusal of the batch's
// statement, which then was rolled back as a whole (an error inside an
// implicit transaction aborts it): running each rotation again alone is
// safe. Any other error (the connection dropped, say) leaves it unknown
// whether the batch committed, and is each member's answer, as it would
// have been of its one-row UPDATE.
func refusedWhole(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr)
}

// batchRotateSQL is the batch's statement: rotateSQL.write for every (id,
// expected hash) pair at once. It writes every member's expiry, also one
// that stays what its caller read (Rotation.OldExpiresAt): one statement has
// one SET list, and PostgreSQL, unlike SQLite, compares an indexed column's
// old and new values, so an unchanged expires_at keeps the update
// HOT-eligible, and a HOT update moves no index entry (keepsExpiry: the
// one-row path does not try the keep form on PostgreSQL either).
var batchRotateSQL = `UPDATE refresh_tokens AS t
	SET prev_hash = ` + currentHashOf("t") + `, cur_hash = v.new_hash, rotated_at = v.at, last_used_at = v.at,
		expires_at = v.expires_at, generation = t.generation + 1
	FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bigint[], $5::bigint[]) AS v(id, old_hash, new_hash, at, expires_at)
	WHERE t.id = v.id AND ` + currentHashOf("t") + ` = v.old_hash AND t.revoked_at IS NULL
	RETURNING ` + tokenColumnsOf("t")

// together runs the batch as one statement, which commits on its own, and
// returns the swapped tokens by id. The rows are read to the end and
// closed, which waits for the server's ReadyForQuery, sent after the
// commit; only then is any member answered. The statement does not follow
// any one member's cancellation.
func (b *rotations) together(live []*rotReq) (map[string]rotRes, error) {
	// Rows in id order, so that two nodes' batches lock common rows in the
	// same order (a deadlock would only cost a retry, one by one).
	slices.SortFunc(live, func(x, y *rotReq) int { return strings.Compare(x.r.ID, y.r.ID) })
	n := len(live)
	ids, at, exp := make([]string, n), make([]int64, n), make([]int64, n)
	olds, news := make([][]byte, n), make([][]byte, n)
	for i, r := range live {
		ids[i], olds[i], news[i], at[i], exp[i] = r.r.ID, r.r.OldHash, r.r.NewHash, ms(r.r.At), ms(r.r.ExpiresAt)
	}
	b.grouped.Add(1)
	ctx := context.Background()
	rows, err := b.s.w.QueryContext(ctx, batchRotateSQL, ids, olds, news, at, exp)
	if err != nil {
		return nil, err
	}
	got := make(map[string]rotRes, n)
	var scanErr error
	for rows.Next() {
		var x tokenRow
		if err := rows.Scan(x.dest()...); err != nil {
			scanErr = err
			break
		}
		t, err := x.token()
		got[t.ID] = rotRes{t: t, err: err}
	}
	if err := errors.Join(rows.Close(), rows.Err()); err != nil {
		return nil, err
	}
	if scanErr != nil {
		// The statement ran to its end (Close read up to ReadyForQuery):
		// the rows changed, but what they became is unknown to this
		// node. Every member gets the error, as a failed Scan of the
		// one-row UPDATE would have given it.
		return nil, scanErr
	}
	return got, nil
}

// close stops the loop; queued rotations are answered errStoreClosed or
// run in a last batch, each exactly once; a running batch finishes first.
func (b *rotations) close() {
	b.stop()
}
