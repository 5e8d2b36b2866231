package server

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The console's pages are html/template files with one layout, embedded in
// the binary: no build step, no script. consoleCSP allows the one style
// sheet of this origin and forms posted to this origin, nothing else
// (no script at all; frames refused).
const consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

//go:embed console console/parts
var consoleFiles embed.FS

// consolePages maps a page name (its file without .html) to the layout
// with that page's blocks. Parsed at the first console page, not at
// package initialisation: that was most of the package's init time, paid
// by every start of the binary (issue 13's start-up target).
var consolePages = sync.OnceValue(parseConsolePages)

var consoleFuncs = template.FuncMap{
	// when formats a millisecond instant in UTC ("" for none).
	"when": func(ms int64) string {
		if ms <= 0 {
			return ""
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	"sub":  func(a, b int) int { return a - b },
	// dict passes named values to a sub-template (a form field).
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
}

func parseConsolePages() map[string]*template.Template {
	// The layout and the form fields the pages share (console/parts).
	layout := template.Must(template.New("layout.html").Funcs(consoleFuncs).ParseFS(consoleFiles, "console/layout.html", "console/parts/*.html"))
	names, err := fs.Glob(consoleFiles, "console/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if path.Base(n) == "layout.html" {
			continue
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = template.Must(template.Must(layout.Clone()).ParseFS(consoleFiles, n))
	}
	return pages
}

// consolePage is what every console template sees.
type consolePage struct {
	Title string
	// Nav is the section of the navigation to mark current.
	Nav string
	// Admin is the signed-in admin (nil on the login and refusal pages).
	Admin *storage.User
	CSRF  string
	// Notice is a fixed message of the action just done; Problem a
	// refusal to show above the form.
	Notice, Problem string
	// Fields are validation messages by form field name, shown next to
	// the field.
	Fields map[string]string
	Data   any
}

// renderConsolePage writes the named page with status. The page is rendered into
// a buffer first, so a template error is a 500, not half a page.
func (s *Server) renderConsolePage(w http.ResponseWriter, r *http.Request, status int, name string, p consolePage) {
	if sess := consoleFrom(r.Context()); sess.User.ID != "" {
		p.Admin, p.CSRF = &sess.User, sess.CSRF
	}
	var buf bytes.Buffer
	t := consolePages()[name]
	if t == nil {
		s.Logger.ErrorContext(r.Context(), "console: no such page", "page", name)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.Logger.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("Cache-Control", "no-store")
	// same-origin, not the API's no-referrer: under no-referrer a browser
	// sends "Origin: null" with a form post (Fetch, "serializing a request
	// origin"), which refuseCrossSite must refuse. Other sites still get no
	// referrer.
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// consoleForbidden is the 403 page: nothing was done.
func (s *Server) consoleForbidden(w http.ResponseWriter, r *http.Request, why string) {
	s.renderConsolePage(w, r, http.StatusForbidden, "forbidden", consolePage{Title: "Not allowed", Problem: why})
}

// consoleError answers a fault (the database down: 503, anything else 500)
// with a page that says so, logged with the request id.
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, password.ErrBusy) {
		s.noteBusy(r, nil)
		w.Header().Set("Retry-After", "1")
		s.renderConsolePage(w, r, http.StatusServiceUnavailable, "error", consolePage{Title: "Error",
			Problem: "Too many sign-ins are being processed. Try again shortly."})
		return
	}
	if s.clientGone(w, r, err) {
		return
	}
	status := http.StatusInternalServerError
	msg := "Something went wrong on the server. Request id " + requestID(r.Context()) + "."
	if storage.Transient(err) {
		status, msg = http.StatusServiceUnavailable, "The database is unavailable. Try again shortly."
		w.Header().Set("Retry-After", "1")
	}
	s.Logger.LogAttrs(r.Context(), slog.LevelError, "console error", slog.String("request_id", requestID(r.Context())),
		slog.String("error", err.Error()))
	s.renderConsolePage(w, r, status, "error", consolePage{Title: "Error", Problem: msg})
}

// consoleNotFound is the 404 page of an unknown record.
func (s *Server) consoleNotFound(w http.ResponseWriter, r *http.Request, what string) {
	s.renderConsolePage(w, r, http.StatusNotFound, "error", consolePage{Title: "Not found", Problem: "No " + what + " with that id."})
}

// consoleStyle serves the console's style sheet (GET /admin/console.css).
func (s *Server) consoleStyle(w http.ResponseWriter, r *http.Request) {
	b, err := consoleFiles.ReadFile("console/console.css")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// consoleRedirect answers 303 to the console path to, with no body
// (http.Redirect would add a small HTML page to a GET's answer: the
// console's only HTML is its templates).
func consoleRedirect(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// seeOther redirects after a console POST (post/redirect/get), with a
// fixed notice name the next page maps to its text (never reflected).
func seeOther(w http.ResponseWriter, r *http.Request, to, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + notice
	}
	consoleRedirect(w, to)
}
