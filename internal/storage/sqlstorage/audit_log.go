package sqlstorage

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Audit entries ride in the transaction of the change they describe: every
// write method taking audit ...storage.AuditEntry calls insertAudit inside
// its transaction (or execAudited for a one-statement write), so a crash
// never leaves a change without its entry or an entry without its change.

const auditColumns = `id, insert_instant, tenant_id, insert_user, message, reason, data, old_value, new_value`

// insertAudit writes entries on q, the caller's transaction.
func insertAudit(ctx context.Context, q querier, entries []storage.AuditEntry) error {
	for _, e := range entries {
		data, oldValue, newValue, err := auditDocs(e)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO audit_log (insert_instant, tenant_id, insert_user, message, reason, data, old_value, new_value)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			e.InsertInstant, e.TenantID, e.InsertUser, e.Message, e.Reason, data, oldValue, newValue); err != nil {
			return err
		}
	}
	return nil
}

// auditDocs encodes the JSON columns; an absent value is "".
func auditDocs(e storage.AuditEntry) (data, oldValue, newValue string, err error) {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		return encode(v)
	}
	if data, err = enc(e.Data); err != nil {
		return
	}
	if len(e.Data) == 0 {
		data = ""
	}
	if oldValue, err = enc(e.OldValue); err != nil {
		return
	}
	newValue, err = enc(e.NewValue)
	return
}

// errUnchanged rolls back an audited one-statement write that matched no
// row: there was no change, so there is no entry either.
var errUnchanged = errors.New("sqlstorage: no row changed")

// execAudited is exec for a one-statement write that may carry audit
// entries: with entries, the statement and the entries share a transaction,
// and nothing is written when the statement changed no row (the caller's
// mustAffect then reports ErrNotFound, as without entries).
func (s *Store) execAudited(ctx context.Context, audit []storage.AuditEntry, query string, args ...any) (int64, error) {
	if len(audit) == 0 {
		return s.exec(ctx, query, args...)
	}
	var n int64
	err := s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return errUnchanged
		}
		return insertAudit(ctx, q, audit)
	})
	if errors.Is(err, errUnchanged) {
		return 0, nil
	}
	return n, err
}

// CreateAuditEntry stores e on its own (POST /api/system/audit-log) and
// returns it with the id the sequence gave it.
func (s *Store) CreateAuditEntry(ctx context.Context, e storage.AuditEntry) (storage.AuditEntry, error) {
	data, oldValue, newValue, err := auditDocs(e)
	if err != nil {
		return e, err
	}
	err = s.w.QueryRowContext(ctx, `INSERT INTO audit_log (insert_instant, tenant_id, insert_user, message, reason, data, old_value, new_value)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.InsertInstant, e.TenantID, e.InsertUser, e.Message, e.Reason, data, oldValue, newValue).Scan(&e.ID)
	return e, s.wrap(err)
}

// GetAuditEntry returns the entry with id, or ErrNotFound.
func (s *Store) GetAuditEntry(ctx context.Context, id int64) (storage.AuditEntry, error) {
	return scanAudit(s.r.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE id = $1`, id), s)
}

func scanAudit(row interface{ Scan(...any) error }, s *Store) (storage.AuditEntry, error) {
	var e storage.AuditEntry
	var data, oldValue, newValue string
	if err := row.Scan(&e.ID, &e.InsertInstant, &e.TenantID, &e.InsertUser, &e.Message, &e.Reason, &data, &oldValue, &newValue); err != nil {
		return e, s.wrap(err)
	}
	for _, c := range []struct {
		doc string
		v   any
	}{{data, &e.Data}, {oldValue, &e.OldValue}, {newValue, &e.NewValue}} {
		if c.doc != "" {
			if err := decode(c.doc, c.v); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

// auditOrder maps AuditSearch.OrderBy to a column; nothing a caller sends
// reaches the SQL text.
var auditOrder = map[string]string{"": "insert_instant", "insertInstant": "insert_instant",
	"insertUser": "insert_user", "message": "message", "id": "id"}

// SearchAuditEntries returns one page of the entries a.TenantID sees that
// match every criterion, and how many match in all.
func (s *Store) SearchAuditEntries(ctx context.Context, a storage.AuditSearch) ([]storage.AuditEntry, int, error) {
	col, ok := auditOrder[a.OrderBy]
	if !ok {
		return nil, 0, errors.New("sqlstorage: unknown audit order " + strconv.Quote(a.OrderBy))
	}
	w := &whereBuilder{}
	if a.TenantID != "" {
		w.add("tenant_id = ?", a.TenantID)
	}
	like := s.caseInsensitiveLike()
	for _, c := range []struct{ col, pattern string }{{"message", a.Message}, {"insert_user", a.User},
		{"reason", a.Reason}, {"old_value", a.OldValue}, {"new_value", a.NewValue}} {
		if c.pattern != "" {
			w.add(c.col+" "+like+" ? ESCAPE '\\'", likePattern(c.pattern))
		}
	}
	if a.Start != 0 {
		w.add("insert_instant >= ?", a.Start)
	}
	if a.End != 0 {
		w.add("insert_instant <= ?", a.End)
	}
	var total int
	if !a.SkipTotal {
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+w.sql(), w.args...).Scan(&total); err != nil {
			return nil, 0, s.wrap(err)
		}
	}
	if c := a.After; c != nil {
		if col != "insert_instant" || a.Asc {
			return nil, 0, errors.New("sqlstorage: an audit cursor continues the newest-first order only")
		}
		w.add("(insert_instant < ? OR (insert_instant = ? AND id < ?))", c.InsertInstant, c.InsertInstant, c.ID)
	}
	dir := " DESC"
	if a.Asc {
		dir = " ASC"
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log` + w.sql() + ` ORDER BY ` + col + dir + `, id` + dir + w.page(s.dialect, a.Offset, a.Limit)
	rows, err := s.r.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.AuditEntry{}
	for rows.Next() {
		e, err := scanAudit(rows, s)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, s.wrap(rows.Err())
}

// caseInsensitiveLike is the dialect's case-insensitive LIKE: SQLite's LIKE
// folds ASCII (https://www.sqlite.org/lang_expr.html#like), PostgreSQL's
// ILIKE folds by the database's locale.
func (s *Store) caseInsensitiveLike() string {
	if s.dialect == DialectPostgres {
		return "ILIKE"
	}
	return "LIKE"
}

// whereBuilder numbers placeholders as it adds conditions, so a query is
// assembled from fixed fragments and every value is a parameter.
type whereBuilder struct {
	conds []string
	args  []any
}

// add appends a condition whose '?' marks are replaced by $n in order.
func (w *whereBuilder) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			w.args = append(w.args, args[i])
			i++
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

func (w *whereBuilder) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page is LIMIT/OFFSET as parameters (limit 0: no limit). SQLite takes an
// OFFSET only after a LIMIT, where -1 means none; PostgreSQL refuses a
// negative LIMIT and takes OFFSET alone.
func (w *whereBuilder) page(dialect string, offset, limit int) string {
	out := ""
	switch {
	case limit > 0:
		w.args = append(w.args, limit)
		out = " LIMIT $" + strconv.Itoa(len(w.args))
	case offset > 0 && dialect == DialectSQLite:
		out = " LIMIT -1"
	}
	if offset > 0 {
		w.args = append(w.args, offset)
		out += " OFFSET $" + strconv.Itoa(len(w.args))
	}
	return out
}

// likePattern turns a search pattern into LIKE's: '*' is any run of
// characters, and a pattern without '*' matches values containing it.
// LIKE's own wildcards and the escape character are escaped, so a caller's
// '%' or '_' is a literal. A NUL is dropped: no stored text holds one
// (PostgreSQL refuses it in text, and would answer an error, not a match).
func likePattern(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case 0:
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '*':
			b.WriteByte('%')
		default:
			b.WriteRune(r)
		}
	}
	if !strings.Contains(p, "*") {
		return "%" + b.String() + "%"
	}
	return b.String()
}
