package appkit

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// Config configures one demo application's backend.
type Config struct {
	// DBPath is the application's own SQLite file.
	DBPath string
	// IdentityURL is latchkey's public base URL as the browser reaches it: the
	// page imports the SDK from it and POSTs logins to it.
	IdentityURL string
	// ApplicationID is the application's id: the audience its tokens must
	// carry.
	ApplicationID string
	// Verifier checks bearer tokens (issuer, audience = ApplicationID, JWKS).
	Verifier *jwtverify.Verifier
	// Login is how the page logs in: "" for the native form (the workflow),
	// "oauth" for the authorization code flow with PKCE through the identity
	// server's hosted page (oauth.js).
	Login  string
	Logger *slog.Logger
	Now    func() time.Time
}

// Spec is what makes one application itself.
type Spec struct {
	// Name is shown on the page ("Store"); lower-cased it is the page's CSS
	// class, the log and error prefix.
	Name string
	// Schema creates the application's own tables (CREATE ... IF NOT EXISTS:
	// it runs on every start).
	Schema string
	// Web holds the application's own page files (at least app.js), served
	// beside the shared shell.
	Web fs.FS
}

func (s Spec) name() string { return strings.ToLower(s.Name) }

// App is one running demo backend: the shared routes plus those the
// application adds with Handle. It is an http.Handler.
type App struct {
	Config
	DB    *sql.DB
	title string // Spec.Name
	name  string // lower-cased Spec.Name
	mux   *http.ServeMux
}

// New checks cfg, opens (and migrates) the database and serves the page and
// /config.json. The application then adds its API with Handle.
func New(cfg Config, spec Spec) (*App, error) {
	name := spec.name()
	if cfg.DBPath == "" || cfg.IdentityURL == "" || cfg.ApplicationID == "" || cfg.Verifier == nil {
		return nil, fmt.Errorf("%s: DBPath, IdentityURL, ApplicationID and Verifier are required", name)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	page, err := site(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: page: %w", name, err)
	}
	db, err := openDB(name, cfg.DBPath, spec.Schema)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db, title: spec.Name, name: name, mux: http.NewServeMux()}
	files := pageHeaders(cfg.IdentityURL, http.FileServerFS(page))
	a.mux.Handle("GET /", files)
	// The links of latchkey's account mails open the page itself, which
	// reads the id from its path (shell.js): the verification link and the
	// password reset link (the default templates' paths).
	for _, p := range []string{"GET /email/verify/{id}", "GET /password/change/{id}"} {
		a.mux.Handle(p, pageHeaders(cfg.IdentityURL, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, page, "index.html")
		})))
	}
	a.mux.HandleFunc("GET /config.json", a.config)
	return a, nil
}

// Handle serves pattern with h behind the bearer-token check: h runs only for
// a token the Verifier accepts, and finds its claims with
// jwtverify.ClaimsFromContext.
func (a *App) Handle(pattern string, h http.HandlerFunc) {
	a.mux.Handle(pattern, a.Verifier.Middleware(h))
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// config tells the page where the identity server is and which application
// it logs in to; nothing secret.
func (a *App) config(w http.ResponseWriter, r *http.Request) {
	c := map[string]string{
		"appName":       a.title,
		"identityURL":   strings.TrimRight(a.IdentityURL, "/"),
		"applicationId": a.ApplicationID,
	}
	if a.Login != "" {
		c["login"] = a.Login
	}
	WriteJSON(w, http.StatusOK, c)
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

// Fail logs err and answers a generic 500; database errors are never shown.
// sql.ErrNoRows (a lookup that found nothing) is a 404.
func (a *App) Fail(w http.ResponseWriter, err error) {
	if errors.Is(err, sql.ErrNoRows) {
		WriteError(w, http.StatusNotFound, "not_found", "Not found.")
		return
	}
	a.Logger.Error(a.name, "err", err)
	WriteError(w, http.StatusInternalServerError, "internal", "Something went wrong.")
}
