package mailcatcher

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// Handler serves the inbox:
//
//	GET /                 the list, newest first
//	GET /m/{id}           one message: headers, the text body with its links clickable, the HTML body in a sandboxed iframe
//	GET /m/{id}/html      the HTML body alone, under a sandboxing CSP (the iframe's source)
//	GET /api/messages     the messages as JSON (id, from, to, subject, text, html, links), newest first
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.inbox)
	mux.HandleFunc("GET /m/{id}", c.show)
	mux.HandleFunc("GET /m/{id}/html", c.showHTML)
	mux.HandleFunc("GET /api/messages", c.api)
	return mux
}

// pageCSP confines the inbox's own pages: no script at all, styles inline,
// frames only from this origin (the HTML body view).
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// bodyCSP is for an email's HTML: CSP's sandbox (no scripts, no forms, an
// opaque origin, so nothing it does reaches the inbox), images only inline
// or over https, links open in a new, unsandboxed tab.
const bodyCSP = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src data: https:; style-src 'unsafe-inline'; frame-ancestors 'self'"

func (c *Catcher) inbox(w http.ResponseWriter, r *http.Request) {
	page(w, inboxTmpl, c.Messages())
}

func (c *Catcher) byID(w http.ResponseWriter, r *http.Request) (Message, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	m, ok := c.message(id)
	if err != nil || !ok {
		http.Error(w, "no such message (the inbox keeps the latest ones only)", http.StatusNotFound)
		return Message{}, false
	}
	return m, true
}

func (c *Catcher) show(w http.ResponseWriter, r *http.Request) {
	if m, ok := c.byID(w, r); ok {
		page(w, messageTmpl, m)
	}
}

func (c *Catcher) showHTML(w http.ResponseWriter, r *http.Request) {
	m, ok := c.byID(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", bodyCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Links leave the frame for a new tab, where the page they open works.
	w.Write([]byte(`<!doctype html><meta charset="utf-8"><base target="_blank">` + m.HTML))
}

func (c *Catcher) api(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"messages": c.Messages()})
}

func page(w http.ResponseWriter, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if err := t.Execute(w, data); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
	}
}

// textPart is a piece of a text body: plain text or a link.
type textPart struct {
	Text string
	Link bool
}

// linkify splits a text body so its http(s) URLs become links; html/template
// escapes every piece and vets each href.
func linkify(s string) []textPart {
	var out []textPart
	last := 0
	for _, loc := range linkRE.FindAllStringIndex(s, -1) {
		url := strings.TrimRight(s[loc[0]:loc[1]], ".,;:!?)")
		out = append(out, textPart{Text: s[last:loc[0]]}, textPart{Text: url, Link: true})
		last = loc[0] + len(url)
	}
	return append(out, textPart{Text: s[last:]})
}

var funcs = template.FuncMap{"linkify": linkify}

const style = `<style>body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4em;border-bottom:1px solid #ddd}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}iframe{width:100%;height:30em;border:1px solid #ccc}</style>`

var inboxTmpl = template.Must(template.New("inbox").Funcs(funcs).Parse(`<!doctype html><meta charset="utf-8">
<title>latchkey demo inbox</title>` + style + `
<h1>Inbox</h1><p>Every email latchkey sends in the demo lands here. Reload to see new mail.</p>
{{if .}}<table><tr><th>Received</th><th>To</th><th>Subject</th></tr>
{{range .}}<tr><td>{{.Received.Format "15:04:05"}}</td><td>{{.To}}</td><td><a href="/m/{{.ID}}">{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</a></td></tr>
{{end}}</table>{{else}}<p><em>No mail yet.</em></p>{{end}}`))

var messageTmpl = template.Must(template.New("message").Funcs(funcs).Parse(`<!doctype html><meta charset="utf-8">
<title>{{.Subject}}</title>` + style + `
<p><a href="/">&larr; Inbox</a></p><h1>{{.Subject}}</h1>
<table><tr><th>From</th><td>{{.From}}</td></tr><tr><th>To</th><td>{{.To}}</td></tr>
<tr><th>Received</th><td>{{.Received.Format "2006-01-02 15:04:05"}}</td></tr><tr><th>Message-ID</th><td>{{.MessageID}}</td></tr></table>
{{if .HTML}}<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" src="/m/{{.ID}}/html" title="HTML body"></iframe>{{end}}
{{if .Text}}<h2>Text</h2><pre>{{range linkify .Text}}{{if .Link}}<a href="{{.Text}}" target="_blank" rel="noopener noreferrer">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</pre>{{end}}`))
