package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestConsolePreviewsTemplateAsPage: "Preview the HTML as a page" answers
// the form's HTML body rendered against sample data as a page of its own,
// under a sandbox CSP that runs no script and loads nothing (a template's
// <script> and remote image stay inert); nothing is saved. A template that
// does not render is shown next to its field instead. Posted cross-site or
// by a non-admin it renders nothing.
func TestConsolePreviewsTemplateAsPage(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	ts, err := s.Store.ListEmailTemplates(context.Background())
	must(t, err)
	tpl := ts[0]
	path := "/admin/email-templates/" + tpl.ID
	token := csrf(t, c.get(path))
	html := `<p style="color:red">Hi ${user.email}</p><script>alert(1)</script><img src="https://tracker.example.test/p.gif">`
	form := url.Values{"csrf": {token}, "revision": {pageRevision(t, c.get(path))}, "name": {tpl.Name}, "subject": {"Hello"}, "html": {html}, "text": {"Hi"},
		"preview": {"page"}}

	page := c.post(path, form)
	wantConsoleStatus(t, "preview as a page", page, 200)
	if !strings.Contains(string(page.body), `<p style="color:red">Hi ada@example.com</p>`) {
		t.Fatalf("the page is not the rendered HTML:\n%s", page.body)
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"sandbox", "default-src 'none'", "img-src data:", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("preview CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Fatalf("preview CSP %q lets the template run script or use this origin", csp)
	}
	if got, _ := s.Store.GetEmailTemplate(context.Background(), tpl.ID); got.DefaultHTMLTemplate == html {
		t.Fatal("the preview saved the template")
	}

	broken := url.Values{}
	for k, v := range form {
		broken[k] = v
	}
	broken.Set("html", "<p>${user.email</p>")
	refused := c.post(path, broken)
	wantConsoleStatus(t, "a body that does not parse", refused, 400)
	if !strings.Contains(string(refused.body), `id="html-error"`) || refused.header.Get("Content-Security-Policy") == csp {
		t.Fatalf("the error is not shown on the console page next to the body:\n%s", refused.body)
	}

	evil := &consoleClient{s: s, cookie: c.cookie, origin: "https://evil.example.test"}
	if res := evil.post(path, form); res.status != 403 || strings.Contains(string(res.body), "ada@example.com") {
		t.Fatalf("cross-site preview = %d:\n%s", res.status, res.body)
	}
	former, formerToken := formerAdmin(t, s)
	form.Set("csrf", formerToken)
	if res := former.post(path, form); res.status != 403 || strings.Contains(string(res.body), "ada@example.com") {
		t.Fatalf("non-admin preview = %d:\n%s", res.status, res.body)
	}
}
