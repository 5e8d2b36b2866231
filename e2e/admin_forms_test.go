package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/mail"
)

// walkNewForms is the second half of TestAdminConsoleInChromium, through
// the console's newer forms: an API key created for GET /api/user (its
// value shown once) reads users and nothing else; the tenant's SMTP
// settings gain an additional header; the forgot-password template gains
// a German version, previewed in German; a webhook is created.
func walkNewForms(t *testing.T, browser context.Context, s stack, admin, shots string) {
	t.Helper()
	run(t, browser, "tick GET /api/user for a new API key",
		chromedp.Navigate(admin+"/api-keys"),
		chromedp.WaitVisible(chromedp.ID("permissions")),
		chromedp.SetValue(chromedp.ID("description"), "user reader"),
		chromedp.Click(chromedp.CSS(`input[name=perm][value="/api/user GET"]`)))
	screenshot(browser, t, shots, "admin-api-keys.png")
	phoneWidth(t, browser, admin+"/api-keys", "permissions", "admin-api-keys-phone.png", shots)
	run(t, browser, "create the API key",
		chromedp.Navigate(admin+"/api-keys"),
		chromedp.WaitVisible(chromedp.ID("permissions")),
		chromedp.SetValue(chromedp.ID("description"), "user reader"),
		chromedp.Click(chromedp.CSS(`input[name=perm][value="/api/user GET"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/api-keys"] button`)),
		pageShows(`!!document.getElementById("created-key")`, 10*time.Second))
	key := value(t, browser, "the new key", chromedp.Evaluate[string](`document.getElementById("created-key").value`))
	call := func(path string) int {
		req, err := http.NewRequest(http.MethodGet, s.idp+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", key)
		res, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := call("/api/user?email=" + strings.ReplaceAll(demo.AdminEmail, "@", "%40")); got != 200 {
		t.Fatalf("the console's GET /api/user key reading a user: %d, want 200", got)
	}
	if got := call("/api/application"); got != 401 {
		t.Fatalf("the console's GET /api/user key reading applications: %d, want 401", got)
	}

	run(t, browser, "add an SMTP header",
		chromedp.Navigate(admin+"/tenant"),
		chromedp.WaitVisible(chromedp.ID("smtpHeaders")),
		chromedp.SetValue(chromedp.ID("smtpHeaders"), "X-Demo: console"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/tenant/email"] button`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.includes("email settings")`, 10*time.Second))
	if got := value(t, browser, "headers", chromedp.Evaluate[string](`document.getElementById("smtpHeaders").value`)); got != "X-Demo: console" {
		t.Fatalf("the tenant page shows the headers %q after saving", got)
	}
	run(t, browser, "scroll to the email settings", chromedp.ScrollIntoView(chromedp.ID("smtpHeaders")))
	screenshot(browser, t, shots, "admin-tenant-email.png")

	run(t, browser, "preview a German version of the forgot-password mail",
		chromedp.Navigate(admin+"/email-templates/"+mail.DefaultForgotPasswordID),
		chromedp.WaitVisible(chromedp.ID("locale-0")),
		chromedp.SetValue(chromedp.ID("locale-0"), "de"),
		chromedp.SetValue(chromedp.ID("subject-0"), "Passwort zurücksetzen"),
		chromedp.SetValue(chromedp.ID("html-0"), "<p>Hallo ${user.email}, hier ist Ihr Link: ${changePasswordId}</p>"),
		chromedp.SetValue(chromedp.ID("text-0"), "Hallo ${user.email}"),
		chromedp.SetValue(chromedp.ID("previewLocale"), "de"),
		chromedp.Click(chromedp.CSS(`button[name=preview][value="1"]`)),
		pageShows(`document.getElementById("preview-subject") && document.getElementById("preview-subject").textContent === "Passwort zurücksetzen"`, 10*time.Second),
		chromedp.ScrollIntoView(chromedp.ID("preview")))
	screenshot(browser, t, shots, "admin-email-template.png")
	run(t, browser, "save the German version",
		chromedp.Click(chromedp.CSS(`form[action^="/admin/email-templates/"] button:not([name])`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.startsWith("Saved") &&
			!!document.querySelector('input[type=hidden][name="locale-0"][value="de"]')`, 10*time.Second))

	run(t, browser, "create a webhook",
		chromedp.Navigate(admin+"/webhooks"),
		chromedp.WaitVisible(chromedp.ID("url")),
		chromedp.SetValue(chromedp.ID("url"), "https://hooks.example.test/latchkey"),
		chromedp.SetValue(chromedp.ID("description"), "audit sink"),
		chromedp.Click(chromedp.CSS(`input[name=event][value="user.create"]`)),
		chromedp.Click(chromedp.ID("global")),
		chromedp.Click(chromedp.CSS(`form[action="/admin/webhooks"] button`)),
		pageShows(`location.pathname.startsWith("/admin/webhooks/") && !!document.querySelector(".notice")`, 10*time.Second))
	if got := value(t, browser, "webhook url", chromedp.Evaluate[string](`document.getElementById("url").value`)); got != "https://hooks.example.test/latchkey" {
		t.Fatalf("the new webhook's page shows the URL %q", got)
	}
	screenshot(browser, t, shots, "admin-webhook.png")
}
