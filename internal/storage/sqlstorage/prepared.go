package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// pool is a database/sql pool whose statements are prepared once and kept,
// on SQLite: modernc.org/sqlite compiles the SQL text of every unprepared
// statement anew, which was a fifth of a refresh's CPU (issue 13's profile).
// database/sql prepares a *sql.Stmt on each connection the first time that
// connection runs it and keeps it there, inside transactions too
// (Tx.StmtContext reuses it). Only statements with arguments are prepared:
// those are the single statements of this package, while argument-less
// strings include the migrations, several statements each, which a
// prepared statement would cut to its first. The set of distinct SQL texts
// is fixed by the code, so the cache is bounded. PostgreSQL needs none of
// this: pgx caches prepared statements per connection itself.
type pool struct {
	*sql.DB
	prepare bool

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // being prepared for a transaction (prepareLater)
	closed  bool
}

func newPool(db *sql.DB, prepare bool) *pool {
	return &pool{DB: db, prepare: prepare, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// stmt returns the prepared statement for query, preparing it now when
// needed (nil, nil when this pool does not prepare or query has no
// arguments). Not for a statement inside a transaction: preparing takes a
// connection, and the writer's only one is the transaction's (txq uses
// cached and prepareLater instead).
func (p *pool) stmt(ctx context.Context, query string, args []any) (*sql.Stmt, error) {
	if !p.prepare || len(args) == 0 {
		return nil, nil
	}
	if st := p.cached(query); st != nil {
		return st, nil
	}
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return p.keep(query, st), nil
}

// cached is query's prepared statement if there is one already.
func (p *pool) cached(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[query]
}

// keep stores st for query, or closes it when another was stored first or
// the pool is closed, and returns the one to use.
func (p *pool) keep(query string, st *sql.Stmt) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.stmts[query]; old != nil || p.closed {
		_ = st.Close()
		return old
	}
	p.stmts[query] = st
	return st
}

// prepareLater prepares query for the next transaction that runs it, on a
// goroutine that waits for a free connection (the writer's one is busy
// with the transaction that asked).
func (p *pool) prepareLater(query string) {
	p.mu.Lock()
	if p.pending[query] || p.closed {
		p.mu.Unlock()
		return
	}
	p.pending[query] = true
	p.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), preparePatience)
		defer cancel()
		st, err := p.DB.PrepareContext(ctx, query)
		if err == nil {
			p.keep(query, st)
		}
		p.mu.Lock()
		delete(p.pending, query)
		p.mu.Unlock()
	}()
}

// preparePatience bounds how long prepareLater waits for a connection.
const preparePatience = 15 * time.Second

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query, args)
	if err != nil || st == nil {
		return p.DB.ExecContext(ctx, query, args...) // an error comes back the same way unprepared
	}
	return st.ExecContext(ctx, args...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query, args)
	if err != nil || st == nil {
		return p.DB.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query, args)
	if err != nil || st == nil {
		return p.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close closes the prepared statements, then the pool.
func (p *pool) close() error {
	p.mu.Lock()
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	p.stmts, p.closed = map[string]*sql.Stmt{}, true
	p.mu.Unlock()
	return errors.Join(append(errs, p.DB.Close())...)
}

// txq runs a transaction's statements through its pool's prepared ones,
// once they exist: the first transaction that runs a statement runs it
// unprepared and has it prepared for the next ones.
type txq struct {
	tx *sql.Tx
	p  *pool
	// ctx, when set, replaces the context a statement is given: a group
	// commit's members must not interrupt each other (groupcommit.go).
	ctx context.Context
}

// in is the context a statement runs on.
func (q txq) in(ctx context.Context) context.Context {
	if q.ctx != nil {
		return q.ctx
	}
	return ctx
}

// prepared is the transaction's use of query's prepared statement, or nil.
func (q txq) prepared(ctx context.Context, query string, args []any) *sql.Stmt {
	if !q.p.prepare || len(args) == 0 {
		return nil
	}
	if st := q.p.cached(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	q.p.prepareLater(query)
	return nil
}

func (q txq) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = q.in(ctx)
	if st := q.prepared(ctx, query, args); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txq) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = q.in(ctx)
	if st := q.prepared(ctx, query, args); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txq) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = q.in(ctx)
	if st := q.prepared(ctx, query, args); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
