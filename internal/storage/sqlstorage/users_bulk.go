package sqlstorage

import (
	"context"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// inChunk bounds the ids of one IN list (SQLite's default limit on
// parameters is 32766, PostgreSQL's 65535; a page of users is far smaller).
const inChunk = 500

// inList is "($n, $n+1, ...)" for ids, numbering after the args already in w.
func (w *whereBuilder) inList(ids []string) string {
	marks := make([]string, len(ids))
	for i, id := range ids {
		w.args = append(w.args, id)
		marks[i] = "$" + strconv.Itoa(len(w.args))
	}
	return "(" + strings.Join(marks, ", ") + ")"
}

// chunks splits ids into slices of at most inChunk.
func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > inChunk {
		out, ids = append(out, ids[:inChunk]), ids[inChunk:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// GetUsers returns the users among ids that exist, in the order of ids,
// each once (GET /api/user/search?ids=).
func (s *Store) GetUsers(ctx context.Context, ids []string) ([]storage.User, error) {
	byID := map[string]storage.User{}
	for _, part := range chunks(ids) {
		w := &whereBuilder{}
		users, err := s.queryUsers(ctx, `SELECT `+userColumns+` FROM users WHERE id IN `+w.inList(part), w.args...)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			byID[u.ID] = u
		}
	}
	out := []storage.User{}
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out = append(out, u)
			delete(byID, id)
		}
	}
	return out, nil
}

// ListRegistrationsOf returns the registrations of each of userIDs (a
// search page's users) in one query per chunk, ordered by application id.
func (s *Store) ListRegistrationsOf(ctx context.Context, userIDs []string) (map[string][]storage.Registration, error) {
	out := map[string][]storage.Registration{}
	for _, part := range chunks(userIDs) {
		w := &whereBuilder{}
		rows, err := s.r.QueryContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE user_id IN `+w.inList(part)+
			` ORDER BY user_id, application_id`, w.args...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rows.Next() {
			r, err := scanRegistration(s, rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[r.UserID] = append(out[r.UserID], r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}
