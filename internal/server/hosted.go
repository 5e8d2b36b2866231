package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/latchkeyhq/latchkey/internal/hosted"
)

// builtinPages is the renderer used when the Server was built without one
// (unit tests): the built-in theme only.
var builtinPages = sync.OnceValue(func() *hosted.Renderer {
	r, err := hosted.New(nil)
	if err != nil {
		panic(err) // the embedded theme is tested; it parses
	}
	return r
})

func (s *Server) pages() *hosted.Renderer {
	if s.Hosted != nil {
		return s.Hosted
	}
	return builtinPages()
}

// pageCSP is the Content-Security-Policy of every hosted page: nothing but
// the theme's stylesheet and images from this origin, no script (but the
// passkey script of scriptCSP), no
// framing (clickjacking, security-bar.md §4.11), forms posted only here or,
// for the redirect that follows a login, to the client's origin (Chromium
// applies form-action to a form's redirects too).
func pageCSP(formTargets ...string) string { return hostedCSP("", formTargets...) }

// scriptCSP is pageCSP for a login page offering passkeys: the one inline
// script carrying nonce (new for every response) may run and call this
// origin's API; no other script, inline or loaded, runs.
func scriptCSP(nonce string, formTargets ...string) string { return hostedCSP(nonce, formTargets...) }

func hostedCSP(nonce string, formTargets ...string) string {
	action := "'self'"
	for _, t := range formTargets {
		if t != "" {
			action += " " + t
		}
	}
	script := ""
	if nonce != "" {
		script = "; script-src 'nonce-" + nonce + "'; connect-src 'self'"
	}
	return "default-src 'none'; style-src 'self'; img-src 'self' data:" + script + "; form-action " + action +
		"; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// cspSource is the CSP source expression of a redirect URI: its origin for
// http(s), its scheme for a native app's private-use scheme.
func cspSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || strings.ContainsAny(uri, " ;,'\"") {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return strings.ToLower(u.Scheme + "://" + u.Host)
	}
	return strings.ToLower(u.Scheme) + ":"
}

// renderPage writes a hosted page with its headers. A rendering failure is
// a server fault (the templates were checked at start).
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, page, theme, csp string, d *hosted.Data) {
	lang := hosted.Language(d.Lang, r.Header.Get("Accept-Language"))
	var buf bytes.Buffer
	if err := s.pages().Render(&buf, page, theme, lang, d); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html;charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	// same-origin, not the API's no-referrer: under no-referrer a browser
	// sends "Origin: null" with the form's POST (Fetch §3.1), which the CSRF
	// guard must refuse; same-origin still sends nothing to the client.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Language", lang.String())
	h.Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage shows an OAuth error that must not be redirected (an unknown
// client or redirect_uri: RFC 6749 §4.1.2.1), as FusionAuth does, 400.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, code, reason, desc, locale string) {
	s.renderPage(w, r, status, "error", hosted.DefaultTheme, pageCSP(), &hosted.Data{Lang: locale,
		ErrorCode: code, ErrorReason: reason, ErrorDescription: desc})
}

// themeCSS handles GET /theme/{id}/styles.css: a theme's stylesheet. It is
// public and cacheable (the pages name it with a content tag).
func (s *Server) themeCSS(w http.ResponseWriter, r *http.Request) {
	css, tag, ok := s.pages().CSS(r.PathValue("id"))
	if !ok {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/css;charset=utf-8")
	h.Set("ETag", `"`+tag+`"`)
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Header.Get("If-None-Match") == `"`+tag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(css)
}
