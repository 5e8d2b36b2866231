package sqlstorage

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// searchRow is a user's row of user_search (migration 0040): the fields a
// search matches and sorts on, lower-cased here with Go's Unicode case
// mapping so SQLite, PostgreSQL and every database locale agree.
type searchRow struct {
	text, login, email, username, first, last, full string
}

// searchField lower-cases v and turns control characters (the newline that
// separates fields in text among them) into spaces.
func searchField(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToLower(v))
}

func searchRowOf(u storage.User) searchRow {
	r := searchRow{email: searchField(u.Email), username: searchField(u.Username),
		first: searchField(u.FirstName), last: searchField(u.LastName), full: searchField(u.FullName)}
	r.login = r.email
	if r.login == "" {
		r.login = r.username
	}
	r.text = "\n" + strings.Join([]string{r.email, r.username, r.first, r.last, r.full}, "\n") + "\n"
	return r
}

// upsertUserSearch writes u's search row inside the caller's transaction
// (every user write calls it, so the index is never behind the users).
func upsertUserSearch(ctx context.Context, q querier, u storage.User) error {
	r := searchRowOf(u)
	_, err := q.ExecContext(ctx, `INSERT INTO user_search
		(user_id, tenant_id, text, login, email, username, first_name, last_name, full_name, birth_date, insert_instant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (user_id) DO UPDATE SET tenant_id = excluded.tenant_id, text = excluded.text, login = excluded.login,
			email = excluded.email, username = excluded.username, first_name = excluded.first_name,
			last_name = excluded.last_name, full_name = excluded.full_name, birth_date = excluded.birth_date,
			insert_instant = excluded.insert_instant`,
		u.ID, u.TenantID, r.text, r.login, r.email, r.username, r.first, r.last, r.full, u.BirthDate, u.InsertInstant)
	return err
}

// searchTerm is a query string prepared like the fields it is matched
// against, and "" when it matches everyone (empty, or only '*').
func searchTerm(q string) string {
	t := searchField(strings.TrimSpace(q))
	if strings.Trim(t, "*") == "" {
		return ""
	}
	return t
}

// userSearchWhere builds the WHERE clause of a search on user_search s,
// and the plan it follows (user_search_plan.go). Without '*' the term is
// matched against text, which holds every field between newlines: a term
// (which cannot hold a newline) is in text exactly when some field contains
// it. With '*' each field is matched against the pattern as a whole.
// Before that exact test an index narrows the rows (on SQLite unless the
// term is common): SQLite's FTS5 trigram table by the term's rarest
// trigrams, PostgreSQL's pg_trgm GIN index by LIKE on text.
func (s *Store) userSearchWhere(ctx context.Context, q storage.UserSearch) (*whereBuilder, searchPlan, error) {
	w := &whereBuilder{}
	if q.TenantID != "" {
		w.add("s.tenant_id = ?", q.TenantID)
	}
	term := searchTerm(q.QueryString)
	if term == "" {
		return w, searchPlan{}, nil
	}
	var plan searchPlan
	if s.dialect == DialectSQLite {
		// PostgreSQL's planner weighs the trigram index against reading in
		// order itself, from pg_trgm's statistics; SQLite's cannot see into
		// FTS5, so latchkey plans for it.
		var err error
		if plan, err = s.planSearch(ctx, term); err != nil {
			return nil, plan, err
		}
	}
	switch {
	case plan.dense:
		// Read in the page's order and stop at the page (and the count at
		// its cap): most rows match.
	case s.dialect == DialectSQLite:
		if plan.match != "" {
			w.add("s.rid IN (SELECT rowid FROM user_search_fts WHERE user_search_fts MATCH ?)", plan.match)
		}
	case strings.Contains(term, "*"):
		// The fields' pattern, unanchored over text: a superset the trigram
		// index can serve; the per-field test below is exact.
		w.add(`s.text LIKE ? ESCAPE '\'`, "%\n"+likePattern(term)+"\n%")
	}
	exactMatch(w, term)
	return w, plan, nil
}

// exactMatch adds the exact test of term to w: text contains it, or with
// '*' some field matches the pattern as a whole.
func exactMatch(w *whereBuilder, term string) {
	p := likePattern(term)
	if !strings.Contains(term, "*") {
		w.add(`s.text LIKE ? ESCAPE '\'`, p)
		return
	}
	w.add(`(s.email LIKE ? ESCAPE '\' OR s.username LIKE ? ESCAPE '\' OR s.first_name LIKE ? ESCAPE '\'
		OR s.last_name LIKE ? ESCAPE '\' OR s.full_name LIKE ? ESCAPE '\')`, p, p, p, p, p)
}

// userSortColumns maps FusionAuth's sort field names to expressions; a
// caller's name only selects among them (nothing it sends reaches the SQL).
func (s *Store) userSortColumn(name string) (string, bool) {
	switch name {
	case "lastLoginInstant":
		if s.dialect == DialectPostgres {
			return `COALESCE(CAST(u.doc::jsonb ->> 'lastLoginInstant' AS BIGINT), 0)`, true
		}
		return `COALESCE(CAST(json_extract(u.doc, '$.lastLoginInstant') AS INTEGER), 0)`, true
	}
	col, ok := map[string]string{"birthDate": "s.birth_date", "email": "s.email", "firstName": "s.first_name",
		"fullName": "s.full_name", "id": "s.user_id", "insertInstant": "s.insert_instant", "lastName": "s.last_name",
		"login": "s.login", "tenantId": "s.tenant_id", "username": "s.username"}[name]
	return col, ok
}

// SearchUsers returns one page of the users q matches, ordered by q.Sort
// (login by default) and then id, and how many match in all.
func (s *Store) SearchUsers(ctx context.Context, q storage.UserSearch) ([]storage.User, int, error) {
	if q.Limit <= 0 {
		return nil, 0, errors.New("sqlstorage: SearchUsers needs a positive limit")
	}
	order := []string{}
	for _, f := range q.Sort {
		col, ok := s.userSortColumn(f.Name)
		if !ok {
			return nil, 0, errors.New("sqlstorage: unknown user sort field")
		}
		if f.Desc {
			col += " DESC"
		}
		order = append(order, col)
	}
	if len(order) == 0 {
		order = append(order, "s.login")
	}
	w, plan, err := s.userSearchWhere(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if plan.sortMatches {
		// A rare term no index can look up: read the table once and sort
		// the few matches, rather than walk an index and fetch every row
		// out of order. A unary + keeps SQLite from ordering by an index
		// (https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_).
		for i := range order {
			order[i] = "+" + order[i]
		}
	}
	where, args := w.sql(), slices.Clone(w.args)
	// The page is chosen on user_search alone (narrow rows to sort), and
	// only its users are read; users is joined only to sort by
	// lastLoginInstant, which lives in the user's document.
	from := ` FROM user_search s`
	if slices.ContainsFunc(q.Sort, func(f storage.SortField) bool { return f.Name == "lastLoginInstant" }) {
		from += ` JOIN users u ON u.id = s.user_id`
	}
	ids, err := s.queryStrings(ctx, `SELECT s.user_id`+from+where+` ORDER BY `+strings.Join(order, ", ")+`, `+tiebreak(plan)+
		w.page(s.dialect, q.Offset, q.Limit), w.args...)
	if err != nil {
		return nil, 0, err
	}
	users, err := s.GetUsers(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	// A partial page ends the matches: the total is known without a count
	// (the common case of a narrow search, and of a short term that had
	// to read every row once already).
	if len(ids) < q.Limit && (len(ids) > 0 || q.Offset == 0) {
		return users, q.Offset + len(ids), nil
	}
	count := `SELECT COUNT(*) FROM user_search s` + where
	if q.CountLimit > 0 {
		count = `SELECT COUNT(*) FROM (SELECT 1 FROM user_search s` + where + ` LIMIT ` + strconv.Itoa(q.CountLimit) + `) AS matches`
	}
	var total int
	if err := s.r.QueryRowContext(ctx, count, args...).Scan(&total); err != nil {
		return nil, 0, s.wrap(err)
	}
	return users, total, nil
}

// queryStrings runs a query selecting one text column.
func (s *Store) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) queryUsers(ctx context.Context, query string, args ...any) ([]storage.User, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.User{}
	for rows.Next() {
		var u storage.User
		var doc string
		var rev int64
		if err := rows.Scan(&doc, &u.Password.Scheme, &u.Password.Factor, &u.Password.Salt, &u.Password.Hash, &rev); err != nil {
			return nil, s.wrap(err)
		}
		pw := u.Password
		if err := decode(doc, &u); err != nil {
			return nil, err
		}
		u.Password, u.Revision = pw, rev
		out = append(out, u)
	}
	return out, s.wrap(rows.Err())
}

// migrationSteps are the Go parts of migrations, run after the file's SQL in
// the same transaction: what SQL cannot compute the same way on both
// dialects.
var migrationSteps = map[int]func(ctx context.Context, q querier) error{
	40: backfillUserSearch,
}

// backfillUserSearch gives every user stored before migration 0040 its
// search row (lower-cased in Go, like every later write), a batch at a time
// in id order so a large table is never held in memory at once.
func backfillUserSearch(ctx context.Context, q querier) error {
	after := ""
	for {
		users, err := backfillBatch(ctx, q, after)
		if err != nil || len(users) == 0 {
			return err
		}
		for _, u := range users {
			if err := upsertUserSearch(ctx, q, u); err != nil {
				return err
			}
		}
		after = users[len(users)-1].ID
	}
}

func backfillBatch(ctx context.Context, q querier, after string) ([]storage.User, error) {
	rows, err := q.QueryContext(ctx, `SELECT doc FROM users WHERE id > $1 ORDER BY id LIMIT 1000`, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []storage.User
	for rows.Next() {
		var doc string
		var u storage.User
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		if err := decode(doc, &u); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// warnUnindexedSearch logs, on PostgreSQL, when migration 0040 could not
// create the pg_trgm index (the extension was missing and the database user
// may not create it): user search then reads every row.
func (s *Store) warnUnindexedSearch(ctx context.Context) {
	if s.dialect != DialectPostgres {
		return
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'user_search_trgm' AND schemaname = current_schema()`).Scan(&n)
	if err == nil && n == 0 {
		s.logger.Warn("user search is not indexed: the pg_trgm extension is missing; as a superuser run CREATE EXTENSION pg_trgm, " +
			"then CREATE INDEX user_search_trgm ON user_search USING gin (text gin_trgm_ops)")
	}
}
