package store

import (
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go

	"github.com/latchkeyhq/latchkey/jwtverify"
)

//go:embed web
var webFS embed.FS

// Config configures the Store backend.
type Config struct {
	// DBPath is the Store's own SQLite file.
	DBPath string
	// IdentityURL is latchkey's public base URL as the browser reaches it: the
	// page imports the SDK from it and POSTs logins to it.
	IdentityURL string
	// ApplicationID is the Store's application id: the audience its tokens
	// must carry.
	ApplicationID string
	// Verifier checks bearer tokens (issuer, audience = ApplicationID, JWKS).
	Verifier *jwtverify.Verifier
	Logger   *slog.Logger
	Now      func() time.Time
}

// Store is the Store backend; it is an http.Handler.
type Store struct {
	cfg     Config
	db      *sql.DB
	handler http.Handler
}

// New opens (and migrates) the database and builds the handler.
func New(cfg Config) (*Store, error) {
	if cfg.DBPath == "" || cfg.IdentityURL == "" || cfg.ApplicationID == "" || cfg.Verifier == nil {
		return nil, errors.New("store: DBPath, IdentityURL, ApplicationID and Verifier are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	db, err := openDB(cfg.DBPath)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, db: db}
	static, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.Handle("GET /", pageHeaders(cfg.IdentityURL, http.FileServerFS(static)))
	mux.HandleFunc("GET /config.json", s.config)
	api := cfg.Verifier.Middleware
	mux.Handle("GET /api/load-shopping-cart", api(http.HandlerFunc(s.loadCart)))
	mux.Handle("POST /api/cart/items", api(http.HandlerFunc(s.addItem)))
	mux.Handle("DELETE /api/cart/items/{id}", api(http.HandlerFunc(s.removeItem)))
	s.handler = mux
	return s, nil
}

func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// config tells the page where the identity server is and which application
// it logs in to; nothing secret.
func (s *Store) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"appName":       "Store",
		"identityURL":   strings.TrimRight(s.cfg.IdentityURL, "/"),
		"applicationId": s.cfg.ApplicationID,
	})
}

// pageHeaders locks the page down: scripts only from itself and the identity
// server (the SDK), fetches only to those two. A JWT in localStorage is
// readable by any script on the page (the workflow's own warning), so the
// fewer scripts can run, the better.
func pageHeaders(identityURL string, next http.Handler) http.Handler {
	idp := strings.TrimRight(identityURL, "/")
	csp := "default-src 'self'; script-src 'self' " + idp + "; connect-src 'self' " + idp +
		"; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is the API's one error shape, {"error": code, "message": text}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}
