package sqlstorage

import (
	"context"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// importChunk is how many rows one INSERT carries: multi-row inserts cut
// the per-statement cost that dominates a million-user import (one round
// trip per row on PostgreSQL), while 500 rows × 9 columns stays far below
// both dialects' parameter limits (SQLite 32766, PostgreSQL 65535).
const importChunk = 500

// ImportUsers stores a batch of imported users, their registrations and
// their search rows in one transaction; any duplicate rolls the whole batch
// back (ErrConflict).
func (s *Store) ImportUsers(ctx context.Context, b storage.UserImport) error {
	users := make([][]any, 0, len(b.Users))
	search := make([][]any, 0, len(b.Users))
	var regs [][]any
	for _, u := range b.Users {
		r := searchRowOf(u)
		search = append(search, []any{u.ID, u.TenantID, r.text, r.login, r.email, r.username, r.first, r.last, r.full,
			u.BirthDate, u.InsertInstant})
		doc, err := userDoc(u)
		if err != nil {
			return err
		}
		users = append(users, []any{u.ID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc,
			u.Password.Scheme, u.Password.Factor, u.Password.Salt, u.Password.Hash})
		for _, r := range u.Registrations {
			rdoc, err := encode(r)
			if err != nil {
				return err
			}
			regs = append(regs, []any{r.ID, u.ID, r.ApplicationID, rdoc})
		}
	}
	return s.tx(ctx, func(tq querier) error {
		q := unprepared(tq)
		if err := s.insertRows(ctx, q, `INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash) VALUES `, users); err != nil {
			return err
		}
		if err := s.insertRows(ctx, q, `INSERT INTO registrations (id, user_id, application_id, doc) VALUES `, regs); err != nil {
			return err
		}
		// Their search rows, as every user write keeps them (user_search.go).
		if err := s.insertRows(ctx, q, `INSERT INTO user_search (user_id, tenant_id, text, login, email, username,
			first_name, last_name, full_name, birth_date, insert_instant) VALUES `, search); err != nil {
			return err
		}
		return enqueueTx(ctx, tq, b.Outbox)
	})
}

// unprepared is q without prepared.go's statement cache: the import's SQL
// texts vary with the batch (the rows of its last INSERT, the lengths of
// its IN lists), and that cache is for the fixed texts of this package,
// which it keeps for the life of the process.
func unprepared(q querier) querier {
	switch v := q.(type) {
	case txq:
		return v.tx
	case *pool:
		return v.DB
	}
	return q
}

// insertRows runs prefix with rows as multi-row VALUES lists, importChunk
// rows per statement. Every row has the same number of columns. SQLite
// gets anonymous ? parameters: it resolves each $N by a linear search of
// the statement's parameter names, which made a 4,500-parameter statement
// spend most of its time parsing (a CPU profile of BenchmarkImportUsers).
func (s *Store) insertRows(ctx context.Context, q querier, prefix string, rows [][]any) error {
	for start := 0; start < len(rows); start += importChunk {
		chunk := rows[start:min(start+importChunk, len(rows))]
		var sb strings.Builder
		sb.WriteString(prefix)
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for i, row := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					sb.WriteString(", ")
				}
				args = append(args, v)
				if s.dialect == DialectPostgres {
					sb.WriteString("$" + strconv.Itoa(len(args)))
				} else {
					sb.WriteByte('?')
				}
			}
			sb.WriteByte(')')
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// TakenUserKeys returns which of k's identifiers existing users hold.
func (s *Store) TakenUserKeys(ctx context.Context, tenantID string, k storage.UserKeys) (storage.UserKeys, error) {
	var out storage.UserKeys
	var err error
	if out.IDs, err = s.taken(ctx, `SELECT id FROM users WHERE id IN `, nil, k.IDs, false); err != nil {
		return out, err
	}
	tenant := []any{tenantID}
	if out.Emails, err = s.taken(ctx, `SELECT email_lower FROM users WHERE tenant_id = $1 AND email_lower IN `, tenant, k.Emails, true); err != nil {
		return out, err
	}
	out.Usernames, err = s.taken(ctx, `SELECT username_lower FROM users WHERE tenant_id = $1 AND username_lower IN `, tenant, k.Usernames, true)
	return out, err
}

// taken runs prefix (whose first parameters are lead) with an IN list of
// values (in their indexed form, loginKey, when fold), in chunks, and returns the values found,
// as given.
func (s *Store) taken(ctx context.Context, prefix string, lead []any, values []string, fold bool) ([]string, error) {
	byKey := map[string][]string{}
	for _, v := range values {
		key := v
		if fold {
			key = loginKey(v) // the form email_lower and username_lower hold
		}
		byKey[key] = append(byKey[key], v)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	var out []string
	for start := 0; start < len(keys); start += importChunk {
		chunk := keys[start:min(start+importChunk, len(keys))]
		args := append([]any{}, lead...)
		marks := make([]string, len(chunk))
		for i, k := range chunk {
			args = append(args, k)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		rows, err := unprepared(s.r).QueryContext(ctx, prefix+"("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, s.wrap(err)
			}
			out = append(out, byKey[k]...)
		}
		if err := rows.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}
