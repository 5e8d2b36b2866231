package sqlstorage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Query latency: db_client_operation_duration_seconds, recorded by a thin
// wrapper of the driver (timedConnector) into a Prometheus histogram whose
// children are labelled once, when the pool opens. otelsql recorded it
// before, through OpenTelemetry's metric SDK: an attribute set built,
// sorted and hashed, and a map lookup, on every driver call, plus a noop
// span, which was 6-9 % of a refresh's CPU (issue 13; docs/decisions.md).
// The wrapper times the calls that reach the database: statements
// (prepared or not), prepare, begin, commit, rollback and ping; not
// otelsql's sql.conn.reset_session (the pool's bookkeeping when it hands a
// connection out again) nor sql.rows (a result's lifetime while the caller
// scans it). It does not wrap rows, so the driver's own rows (and their
// optional column-type interfaces) reach database/sql untouched. A query's
// time ends when the driver returns its rows: modernc has stepped to the
// first row by then, pgx has read the server's row description.

// queryOp is one kind of timed call. Its name (db_operation_name) is
// otelsql's, so dashboards built on them keep working.
type queryOp int

const (
	opPrepare queryOp = iota
	opConnExec
	opConnQuery
	opBeginTx
	opStmtExec
	opStmtQuery
	opCommit
	opRollback
	opPing
	numQueryOps
)

var queryOpNames = [numQueryOps]string{
	opPrepare: "sql.conn.prepare", opConnExec: "sql.conn.exec", opConnQuery: "sql.conn.query",
	opBeginTx: "sql.conn.begin_tx", opStmtExec: "sql.stmt.exec", opStmtQuery: "sql.stmt.query",
	opCommit: "sql.tx.commit", opRollback: "sql.tx.rollback", opPing: "sql.conn.ping",
}

// queryBuckets reach down to the tens of microseconds a cached SQLite read
// takes and up to a lock wait of seconds.
var queryBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// QueryMetrics is the query-latency histogram of one registry. Open
// records into it when Options.QueryMetrics is set.
type QueryMetrics struct {
	vec *prometheus.HistogramVec
}

// NewQueryMetrics registers db_client_operation_duration_seconds in reg, or
// returns the one registered there already.
func NewQueryMetrics(reg prometheus.Registerer) (*QueryMetrics, error) {
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "db_client_operation_duration_seconds",
		Help:    "Duration of database client operations (each statement, prepare, begin, commit, rollback and ping) by database and operation; error_type is set on failures.",
		Buckets: queryBuckets,
	}, []string{"db_system_name", "db_operation_name", "error_type"})
	if err := reg.Register(vec); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		existing, ok := are.ExistingCollector.(*prometheus.HistogramVec)
		if !ok {
			return nil, err
		}
		vec = existing
	}
	return &QueryMetrics{vec: vec}, nil
}

// opTimer holds the pre-labelled children of one database system: a
// successful call costs two clock reads and an Observe, no label lookup.
type opTimer struct {
	vec    *prometheus.HistogramVec
	system string
	ok     [numQueryOps]prometheus.Observer
}

func (m *QueryMetrics) timer(system string) *opTimer {
	t := &opTimer{vec: m.vec, system: system}
	for op, name := range queryOpNames {
		t.ok[op] = m.vec.WithLabelValues(system, name, "")
	}
	return t
}

// done records the call op that started at start and ended with err.
// driver.ErrSkip is not a call that happened (database/sql then prepares
// instead) and is not recorded.
func (t *opTimer) done(op queryOp, start time.Time, err error) {
	d := time.Since(start).Seconds()
	if err == nil {
		t.ok[op].Observe(d)
		return
	}
	if errors.Is(err, driver.ErrSkip) {
		return
	}
	t.vec.WithLabelValues(t.system, queryOpNames[op], errorType(err)).Observe(d)
}

// errorType names err's type as OpenTelemetry's error.type does: bounded by
// the types in the code, never the message.
func errorType(err error) string {
	switch {
	case errors.Is(err, driver.ErrBadConn):
		return "database/sql/driver.ErrBadConn"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	if t.PkgPath() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}

// timedConnector times the calls of the connections c makes.
type timedConnector struct {
	c driver.Connector
	t *opTimer
}

func (c timedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &timedConn{Conn: conn, t: c.t}, nil
}

func (c timedConnector) Driver() driver.Driver { return c.c.Driver() }

// timedConn forwards every optional interface database/sql looks for,
// answering as database/sql would for the driver when the driver's
// connection lacks it, so wrapping changes nothing but the timing.
type timedConn struct {
	driver.Conn
	t *opTimer
}

var (
	_ driver.ConnBeginTx        = (*timedConn)(nil)
	_ driver.ConnPrepareContext = (*timedConn)(nil)
	_ driver.ExecerContext      = (*timedConn)(nil)
	_ driver.QueryerContext     = (*timedConn)(nil)
	_ driver.Pinger             = (*timedConn)(nil)
	_ driver.SessionResetter    = (*timedConn)(nil)
	_ driver.Validator          = (*timedConn)(nil)
	_ driver.NamedValueChecker  = (*timedConn)(nil)
)

func (c *timedConn) PrepareContext(ctx context.Context, query string) (st driver.Stmt, err error) {
	start := time.Now()
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
		if err == nil {
			if cerr := ctx.Err(); cerr != nil {
				_ = st.Close()
				st, err = nil, cerr
			}
		}
	}
	c.t.done(opPrepare, start, err)
	if err != nil {
		return nil, err
	}
	return &timedStmt{Stmt: st, conn: c.Conn, t: c.t}, nil
}

func (c *timedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *timedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (tx driver.Tx, err error) {
	start := time.Now()
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		err = errors.New("sql: driver does not support non-default isolation level or read-only transactions")
	} else {
		//lint:ignore SA1019 the fallback database/sql itself uses
		tx, err = c.Conn.Begin()
	}
	c.t.done(opBeginTx, start, err)
	if err != nil {
		return nil, err
	}
	return timedTx{tx: tx, t: c.t}, nil
}

// Begin is driver.Conn's (deprecated) method, for completeness.
func (c *timedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *timedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	start := time.Now()
	res, err := e.ExecContext(ctx, query, args)
	c.t.done(opConnExec, start, err)
	return res, err
}

func (c *timedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	start := time.Now()
	rows, err := q.QueryContext(ctx, query, args)
	c.t.done(opConnQuery, start, err)
	return rows, err
}

func (c *timedConn) Ping(ctx context.Context) error {
	p, ok := c.Conn.(driver.Pinger)
	if !ok {
		return nil
	}
	start := time.Now()
	err := p.Ping(ctx)
	c.t.done(opPing, start, err)
	return err
}

func (c *timedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *timedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Unwrap is the driver's connection (modernc's sqlite.Limit looks through
// wrappers this way).
func (c *timedConn) Unwrap() driver.Conn { return c.Conn }

// CheckNamedValue: database/sql's default conversion when the driver has
// no checker of its own.
func (c *timedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type timedTx struct {
	tx driver.Tx
	t  *opTimer
}

func (t timedTx) Commit() error {
	start := time.Now()
	err := t.tx.Commit()
	t.t.done(opCommit, start, err)
	return err
}

func (t timedTx) Rollback() error {
	start := time.Now()
	err := t.tx.Rollback()
	t.t.done(opRollback, start, err)
	return err
}

// timedStmt is a prepared statement. Its argument checks go to the
// statement's checker, else the connection's, as database/sql does. (A
// driver whose statements are legacy driver.ColumnConverters would lose
// that conversion; neither modernc.org/sqlite nor pgx's stdlib has one.)
type timedStmt struct {
	driver.Stmt
	conn driver.Conn
	t    *opTimer
}

var (
	_ driver.StmtExecContext   = (*timedStmt)(nil)
	_ driver.StmtQueryContext  = (*timedStmt)(nil)
	_ driver.NamedValueChecker = (*timedStmt)(nil)
)

func (s *timedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (res driver.Result, err error) {
	start := time.Now()
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = namedToValues(args); err == nil {
			//lint:ignore SA1019 the fallback database/sql itself uses
			res, err = s.Stmt.Exec(vals)
		}
	}
	s.t.done(opStmtExec, start, err)
	return res, err
}

func (s *timedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (rows driver.Rows, err error) {
	start := time.Now()
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = namedToValues(args); err == nil {
			//lint:ignore SA1019 the fallback database/sql itself uses
			rows, err = s.Stmt.Query(vals)
		}
	}
	s.t.done(opStmtQuery, start, err)
	return rows, err
}

func (s *timedStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	if n, ok := s.conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func namedToValues(named []driver.NamedValue) ([]driver.Value, error) {
	vals := make([]driver.Value, len(named))
	for i, nv := range named {
		if nv.Name != "" {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		vals[i] = nv.Value
	}
	return vals, nil
}
