package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// revisionForm is one console form that saves a configuration record, set
// up on a stack: the page it is on, where it posts, the admin's change
// (the form's fields as the page fills them, one changed; csrf and revision
// are added by the tests), an API PATCH of the record changing a field the
// form shows and one it does not, and the checks.
type revisionForm struct {
	page, post string
	edit       url.Values
	apiPath    string
	apiBody    map[string]any
	// shows is the API's value of the shown field, as the page then
	// shows it (the current values).
	shows string
	// stored is the record as stored (JSON, without its revision): equal
	// before and after a refused form means nothing was written.
	stored func() string
	// apiKept checks that the API's change is stored; saved that the
	// admin's change is stored and the field the form does not show kept.
	apiKept, saved func()
}

// revisionForms are the console's forms that save a configuration record.
var revisionForms = map[string]func(t *testing.T, s *stack) revisionForm{
	"webhook": func(t *testing.T, s *stack) revisionForm {
		ctx := context.Background()
		h, err := s.Srv.Manage.Webhooks.Create(ctx, "", storage.Webhook{URL: "https://hooks.example.test/in", Description: "sink",
			ConnectTimeout: 1000, ReadTimeout: 2000, EventsEnabled: map[string]bool{"user.create": true}, Global: true})
		must(t, err)
		get := func() storage.Webhook {
			got, err := s.Store.GetWebhook(ctx, h.ID)
			must(t, err)
			return got
		}
		return revisionForm{page: "/admin/webhooks/" + h.ID, post: "/admin/webhooks/" + h.ID,
			edit: url.Values{"url": {h.URL}, "description": {"sink"}, "connect": {"1000"}, "read": {"2000"},
				"event": {"user.create", "user.delete"}, "global": {"on"}},
			apiPath: "/api/webhook/" + h.ID,
			apiBody: map[string]any{"webhook": map[string]any{"description": "Described by the API",
				"data": map[string]any{"owner": "api"}, "headers": map[string]string{"X-From-API": "1"}}},
			shows:  `value="Described by the API"`,
			stored: func() string { return jsonOf(t, get()) },
			apiKept: func() {
				if w := get(); w.Description != "Described by the API" || w.Data["owner"] != "api" || w.EventsEnabled["user.delete"] {
					t.Fatalf("the API's change is lost: %+v", w)
				}
			},
			saved: func() {
				if w := get(); !w.EventsEnabled["user.delete"] || w.Data["owner"] != "api" || w.Headers["X-From-API"] != "1" {
					t.Fatalf("the saved webhook: %+v", w)
				}
			},
		}
	},
	"group name": func(t *testing.T, s *stack) revisionForm {
		f := groupForm(t, s, "rename", url.Values{"name": {"Crew"}})
		f.saved = func() {
			if g := f.get(); g.Name != "Crew" || g.Data["owner"] != "api" {
				t.Fatalf("the saved group: %+v", g)
			}
		}
		return f.revisionForm
	},
	"group roles": func(t *testing.T, s *stack) revisionForm {
		app, err := s.Store.GetApplication(context.Background(), forumsApp)
		must(t, err)
		f := groupForm(t, s, "roles", url.Values{"role": {app.Roles[0].ID}})
		f.saved = func() {
			// The roles form changes the roles only: the API's name stays.
			if g := f.get(); len(g.Roles) != 1 || g.Name != "Named by the API" || g.Data["owner"] != "api" {
				t.Fatalf("the saved group: %+v", g)
			}
		}
		return f.revisionForm
	},
	"email template": func(t *testing.T, s *stack) revisionForm {
		ctx := context.Background()
		ts, err := s.Store.ListEmailTemplates(ctx)
		must(t, err)
		i := slices.IndexFunc(ts, func(t storage.EmailTemplate) bool { return len(t.LocalizedSubjects) == 0 })
		tpl := ts[i]
		get := func() storage.EmailTemplate {
			got, err := s.Store.GetEmailTemplate(ctx, tpl.ID)
			must(t, err)
			return got
		}
		return revisionForm{page: "/admin/email-templates/" + tpl.ID, post: "/admin/email-templates/" + tpl.ID,
			edit: url.Values{"name": {tpl.Name}, "subject": {"The admin's subject"}, "html": {tpl.DefaultHTMLTemplate},
				"text": {tpl.DefaultTextTemplate}, "locale-0": {""}, "new-0": {"1"}, "subject-0": {""}, "html-0": {""}, "text-0": {""}},
			apiPath: "/api/email/template/" + tpl.ID,
			apiBody: map[string]any{"emailTemplate": map[string]any{"defaultSubject": "The API's subject", "defaultFromName": "The API's sender"}},
			shows:   "The API&#39;s subject",
			stored:  func() string { return jsonOf(t, get()) },
			apiKept: func() {
				if got := get(); got.DefaultSubject != "The API's subject" || got.DefaultFromName != "The API's sender" {
					t.Fatalf("the API's change is lost: %+v", got)
				}
			},
			saved: func() {
				if got := get(); got.DefaultSubject != "The admin's subject" || got.DefaultFromName != "The API's sender" {
					t.Fatalf("the saved template: %+v", got)
				}
			},
		}
	},
	"application": func(t *testing.T, s *stack) revisionForm {
		// The console's own application: the stack's fixtures are stored
		// without lifetimes, which the API's PATCH refuses.
		const id = manage.AdminApplicationID
		get := func() storage.Application {
			a, err := s.Store.GetApplication(context.Background(), id)
			must(t, err)
			return a
		}
		edit := appFormOf(t, s, id, "")
		edit.Set("ttl", "1234")
		return revisionForm{page: "/admin/applications/" + id, post: "/admin/applications/" + id, edit: edit,
			apiPath: "/api/application/" + id,
			apiBody: map[string]any{"application": map[string]any{"data": map[string]any{"owner": "api"},
				"oauthConfiguration": map[string]any{"logoutURL": "https://shop.example.test/api-bye"}}},
			shows:  `value="https://shop.example.test/api-bye"`,
			stored: func() string { return jsonOf(t, get()) },
			apiKept: func() {
				if a := get(); a.OAuthConfiguration.LogoutURL != "https://shop.example.test/api-bye" || a.Data["owner"] != "api" ||
					a.JWTConfiguration.TimeToLiveInSeconds == 1234 {
					t.Fatalf("the API's change is lost: %+v", a)
				}
			},
			saved: func() {
				if a := get(); a.JWTConfiguration.TimeToLiveInSeconds != 1234 || a.Data["owner"] != "api" {
					t.Fatalf("the saved application: %+v", a)
				}
			},
		}
	},
	"tenant rules": func(t *testing.T, s *stack) revisionForm {
		f := tenantRevisionForm(t, s, "/admin/tenant", url.Values{"minLength": {"12"}, "maxLength": {"256"}, "lockout": {"on"},
			"attempts": {"3"}, "resetSeconds": {"60"}, "duration": {"5"}, "durationUnit": {"MINUTES"}})
		f.saved = func() {
			if tn := f.get(); tn.PasswordValidationRules.MinLength != 12 || tn.Data["owner"] != "api" ||
				tn.EmailConfiguration.DefaultFromName != "The API's sender" {
				t.Fatalf("the saved tenant: %+v", tn)
			}
		}
		return f.revisionForm
	},
	"tenant email": func(t *testing.T, s *stack) revisionForm {
		f := tenantRevisionForm(t, s, "/admin/tenant/email", url.Values{"smtpHost": {"smtp.admin.example.test"}, "smtpPort": {"587"},
			"smtpSecurity": {"TLS"}, "fromEmail": {"noreply@example.test"}, "fromName": {"The admin's sender"}})
		f.saved = func() {
			if tn := f.get(); tn.EmailConfiguration.Host != "smtp.admin.example.test" || tn.Data["owner"] != "api" ||
				tn.PasswordValidationRules.MaxLength != 77 {
				t.Fatalf("the saved tenant: %+v", tn)
			}
		}
		return f.revisionForm
	},
}

// groupRevisionForm is a group form (rename or roles) with its group.
type groupRevisionForm struct {
	revisionForm
	get func() storage.Group
}

func groupForm(t *testing.T, s *stack, action string, edit url.Values) groupRevisionForm {
	ctx := context.Background()
	g, err := s.Srv.Manage.Groups.Create(ctx, manage.Scope{}, "", manage.GroupInput{Name: "Staff"})
	must(t, err)
	get := func() storage.Group {
		got, err := s.Store.GetGroup(ctx, g.ID)
		must(t, err)
		return got
	}
	return groupRevisionForm{get: get, revisionForm: revisionForm{page: "/admin/groups/" + g.ID, post: "/admin/groups/" + g.ID + "/" + action,
		edit: edit, apiPath: "/api/group/" + g.ID,
		apiBody: map[string]any{"group": map[string]any{"name": "Named by the API", "data": map[string]any{"owner": "api"}}},
		shows:   `value="Named by the API"`,
		stored:  func() string { return jsonOf(t, get()) },
		apiKept: func() {
			if got := get(); got.Name != "Named by the API" || got.Data["owner"] != "api" || len(got.Roles) != 0 {
				t.Fatalf("the API's change is lost: %+v", got)
			}
		},
	}}
}

// tenantRevisionForm is one of the tenant page's forms; the API changes a
// field of each form (the maximum password length, the sender's name) and
// the tenant's data.
type tenantRevision struct {
	revisionForm
	get func() storage.Tenant
}

func tenantRevisionForm(t *testing.T, s *stack, post string, edit url.Values) tenantRevision {
	get := func() storage.Tenant {
		tn, err := s.Store.GetTenant(context.Background(), tenantID)
		must(t, err)
		return tn
	}
	shows := `value="77"`
	if post == "/admin/tenant/email" {
		shows = "The API&#39;s sender"
	}
	return tenantRevision{get: get, revisionForm: revisionForm{page: "/admin/tenant", post: post, edit: edit, apiPath: "/api/tenant/" + tenantID,
		apiBody: map[string]any{"tenant": map[string]any{"data": map[string]any{"owner": "api"},
			"passwordValidationRules": map[string]any{"maxLength": 77},
			"emailConfiguration":      map[string]any{"defaultFromName": "The API's sender"}}},
		shows:  shows,
		stored: func() string { return jsonOf(t, get()) },
		apiKept: func() {
			if tn := get(); tn.PasswordValidationRules.MaxLength != 77 || tn.EmailConfiguration.DefaultFromName != "The API's sender" ||
				tn.Data["owner"] != "api" {
				t.Fatalf("the API's change is lost: %+v", tn)
			}
		},
	}}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

// opened is a form as the admin submits it: their change, the page's form
// token and the revision the page was rendered from.
func opened(t *testing.T, c *consoleClient, f revisionForm) url.Values {
	t.Helper()
	page := c.get(f.page)
	wantConsoleStatus(t, "open "+f.page, page, 200)
	form := url.Values{}
	for k, v := range f.edit {
		form[k] = v
	}
	form.Set("csrf", csrf(t, page))
	form.Set("revision", pageRevision(t, page))
	return form
}

// TestConsoleFormsRefuseARecordChangedSinceOpened: for every console form
// that saves a configuration record, a form opened before the API changed
// the record (a field the form shows, and data or another field it does
// not show) is refused with 409 when submitted: nothing is written, the
// API's change is read back intact, and the page shows the record's
// current values with the message. A form opened afresh then saves, and
// keeps the field it does not show.
func TestConsoleFormsRefuseARecordChangedSinceOpened(t *testing.T) {
	for name, setup := range revisionForms {
		t.Run(name, func(t *testing.T) {
			s, c, _ := newAdminConsole(t, "")
			f := setup(t, s)
			form := opened(t, c, f)
			s.apiOK("PATCH", f.apiPath, f.apiBody)
			was := f.stored()

			res := c.post(f.post, form)
			wantConsoleStatus(t, "a form opened before the API's change", res, 409)
			if body := string(res.body); !strings.Contains(body, "changed by someone else since you opened it") || !strings.Contains(body, f.shows) {
				t.Fatalf("the refusal does not say why or does not show the current values (%s):\n%s", f.shows, body)
			}
			if now := f.stored(); now != was {
				t.Fatalf("a refused form wrote:\n%s\n%s", was, now)
			}
			f.apiKept()

			fresh := opened(t, c, f)
			if res := c.post(f.post, fresh); res.status != 303 {
				t.Fatalf("a fresh form = %d, want 303:\n%s", res.status, res.body)
			}
			f.saved()
		})
	}
}

// TestConsoleFormsRefuseATamperedRevision: a form whose revision field is
// not a revision (missing, empty, not a number, negative, zero, beyond
// 64 bits, padded) is refused with 400 and a message, never a 500, and
// nothing is written; a well-formed revision the record does not have
// (a guess ahead of it) is refused with 409, nothing written.
func TestConsoleFormsRefuseATamperedRevision(t *testing.T) {
	for name, setup := range revisionForms {
		t.Run(name, func(t *testing.T) {
			s, c, _ := newAdminConsole(t, "")
			f := setup(t, s)
			form := opened(t, c, f)
			rev, err := strconv.ParseInt(form.Get("revision"), 10, 64)
			must(t, err)
			was := f.stored()
			for _, bad := range []string{"x", "-1", "0", "", "99999999999999999999", "+" + form.Get("revision"), " " + form.Get("revision"), "1e3"} {
				tampered := url.Values{}
				for k, v := range form {
					tampered[k] = v
				}
				tampered.Set("revision", bad)
				res := c.post(f.post, tampered)
				wantConsoleStatus(t, "revision "+strconv.Quote(bad), res, 400)
				if !strings.Contains(string(res.body), "does not say which version") {
					t.Fatalf("revision %q: no message:\n%s", bad, res.body)
				}
				if now := f.stored(); now != was {
					t.Fatalf("revision %q wrote:\n%s\n%s", bad, was, now)
				}
			}
			missing := url.Values{}
			for k, v := range form {
				missing[k] = v
			}
			delete(missing, "revision")
			wantConsoleStatus(t, "no revision", c.post(f.post, missing), 400)
			ahead := url.Values{}
			for k, v := range form {
				ahead[k] = v
			}
			ahead.Set("revision", strconv.FormatInt(rev+1, 10))
			wantConsoleStatus(t, "a revision ahead of the record's", c.post(f.post, ahead), 409)
			if now := f.stored(); now != was {
				t.Fatalf("tampered revisions wrote:\n%s\n%s", was, now)
			}
		})
	}
}

// TestConsoleTemplatePreviewKeepsTheRevisionItWasOpenedFrom: previewing a
// template form opened before the API changed the template shows the
// preview (nothing saved) with the form's own revision, not the newer
// one, so that saving from the preview's page is still refused (409) and
// the API's change survives.
func TestConsoleTemplatePreviewKeepsTheRevisionItWasOpenedFrom(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	f := revisionForms["email template"](t, s)
	form := opened(t, c, f)
	s.apiOK("PATCH", f.apiPath, f.apiBody)
	was := f.stored()
	preview := url.Values{"preview": {"1"}}
	for k, v := range form {
		preview[k] = v
	}
	shown := c.post(f.post, preview)
	wantConsoleStatus(t, "preview", shown, 200)
	if got := pageRevision(t, shown); got != form.Get("revision") {
		t.Fatalf("the preview's form has revision %s, want the one it was opened from, %s", got, form.Get("revision"))
	}
	form.Set("revision", pageRevision(t, shown))
	wantConsoleStatus(t, "save from the preview", c.post(f.post, form), 409)
	if now := f.stored(); now != was {
		t.Fatalf("a refused form wrote:\n%s\n%s", was, now)
	}
	f.apiKept()
}
