package forums

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit"
	"github.com/latchkeyhq/latchkey/jwtverify"
)

//go:embed web
var webFS embed.FS

// Config configures the Forums backend; DBPath is the Forums' own SQLite
// file.
type Config = appkit.Config

// Forums is the Forums backend; it is an http.Handler.
type Forums struct {
	*appkit.App
}

// schema is the Forums' own table: the posts.
const schema = `
CREATE TABLE IF NOT EXISTS posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS posts_user ON posts(user_id);`

// New opens (and migrates) the database and builds the handler.
func New(cfg Config) (*Forums, error) {
	web, _ := fs.Sub(webFS, "web")
	a, err := appkit.New(cfg, appkit.Spec{Name: "Forums", Schema: schema, Web: web})
	if err != nil {
		return nil, err
	}
	f := &Forums{a}
	a.Handle("GET /api/posts", f.listPosts)
	a.Handle("POST /api/posts", f.createPost)
	return f, nil
}

// maxPostRunes bounds a post; the form's maxlength says the same.
const maxPostRunes = 2000

type post struct {
	ID        int64  `json:"id"`
	Author    string `json:"author"`
	Body      string `json:"body"`
	CreatedAt int64  `json:"createdAt"` // ms since epoch
}

// listPosts answers GET /api/posts (workflow step 15): the posts of the user
// the verified token names. A first visit gets a welcome post, so the first
// load visibly comes from the Forums' own database.
func (s *Forums) listPosts(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	first, err := s.FirstVisit(c.Subject)
	if err != nil {
		s.Fail(w, err)
		return
	}
	if first {
		if _, err := s.insert(c.Subject, author(c.Email, c.Subject), "Hello Forums! (my first post, written for me by the demo)"); err != nil {
			s.Fail(w, err)
			return
		}
	}
	rows, err := s.DB.Query(`SELECT id, author, body, created_at FROM posts WHERE user_id = ? ORDER BY id DESC`, c.Subject)
	if err != nil {
		s.Fail(w, err)
		return
	}
	defer rows.Close()
	posts := []post{}
	for rows.Next() {
		var p post
		if err := rows.Scan(&p.ID, &p.Author, &p.Body, &p.CreatedAt); err != nil {
			s.Fail(w, err)
			return
		}
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		s.Fail(w, err)
		return
	}
	appkit.WriteJSON(w, http.StatusOK, map[string]any{"posts": posts})
}

// createPost answers POST /api/posts {"body": "..."}.
func (s *Forums) createPost(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	var req struct {
		Body string `json:"body"`
	}
	if err := appkit.DecodeJSON(w, r, 16<<10, &req); err != nil {
		appkit.WriteError(w, http.StatusBadRequest, "invalid_request", "Body must be JSON {\"body\": \"...\"}.")
		return
	}
	body := strings.TrimSpace(req.Body)
	if body == "" || !utf8.ValidString(body) || utf8.RuneCountInString(body) > maxPostRunes {
		appkit.WriteError(w, http.StatusBadRequest, "invalid_body", fmt.Sprintf("A post is 1 to %d characters of text.", maxPostRunes))
		return
	}
	p, err := s.insert(c.Subject, author(c.Email, c.Subject), body)
	if err != nil {
		s.Fail(w, err)
		return
	}
	appkit.WriteJSON(w, http.StatusCreated, p)
}

func (s *Forums) insert(userID, author, body string) (post, error) {
	now := s.Now().UnixMilli()
	res, err := s.DB.Exec(`INSERT INTO posts(user_id, author, body, created_at) VALUES(?,?,?,?)`, userID, author, body, now)
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
