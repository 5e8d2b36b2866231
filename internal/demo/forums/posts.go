package forums

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// maxPostRunes bounds a post; the form's maxlength says the same.
const maxPostRunes = 2000

type post struct {
	ID        int64  `json:"id"`
	Author    string `json:"author"`
	Body      string `json:"body"`
	CreatedAt int64  `json:"createdAt"` // ms since epoch
}

func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`
CREATE TABLE IF NOT EXISTS posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS posts_user ON posts(user_id);
CREATE TABLE IF NOT EXISTS welcomed (user_id TEXT PRIMARY KEY);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("forums: migrate %s: %w", path, err)
	}
	return db, nil
}

// listPosts answers GET /api/posts (workflow step 15): the posts of the user
// the verified token names. A first visit gets a welcome post, so the first
// load visibly comes from the Forums' own database.
func (s *Forums) listPosts(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	res, err := s.db.Exec(`INSERT OR IGNORE INTO welcomed(user_id) VALUES(?)`, c.Subject)
	if err != nil {
		s.fail(w, err)
		return
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if _, err := s.insert(c.Subject, author(c.Email, c.Subject), "Hello Forums! (my first post, written for me by the demo)"); err != nil {
			s.fail(w, err)
			return
		}
	}
	rows, err := s.db.Query(`SELECT id, author, body, created_at FROM posts WHERE user_id = ? ORDER BY id DESC`, c.Subject)
	if err != nil {
		s.fail(w, err)
		return
	}
	defer rows.Close()
	posts := []post{}
	for rows.Next() {
		var p post
		if err := rows.Scan(&p.ID, &p.Author, &p.Body, &p.CreatedAt); err != nil {
			s.fail(w, err)
			return
		}
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"posts": posts})
}

// createPost answers POST /api/posts {"body": "..."}.
func (s *Forums) createPost(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	var req struct {
		Body string `json:"body"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Body must be JSON {\"body\": \"...\"}.")
		return
	}
	body := strings.TrimSpace(req.Body)
	if body == "" || !utf8.ValidString(body) || utf8.RuneCountInString(body) > maxPostRunes {
		writeError(w, http.StatusBadRequest, "invalid_body", fmt.Sprintf("A post is 1 to %d characters of text.", maxPostRunes))
		return
	}
	p, err := s.insert(c.Subject, author(c.Email, c.Subject), body)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Forums) insert(userID, author, body string) (post, error) {
	now := s.cfg.Now().UnixMilli()
	res, err := s.db.Exec(`INSERT INTO posts(user_id, author, body, created_at) VALUES(?,?,?,?)`, userID, author, body, now)
	if err != nil {
		return post{}, err
	}
	id, _ := res.LastInsertId()
	return post{ID: id, Author: author, Body: body, CreatedAt: now}, nil
}

func author(email, sub string) string {
	if email != "" {
		return email
	}
	return sub
}

// fail logs err and answers a generic 500; database errors are never shown.
func (s *Forums) fail(w http.ResponseWriter, err error) {
	s.cfg.Logger.Error("forums", "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "Something went wrong.")
}
