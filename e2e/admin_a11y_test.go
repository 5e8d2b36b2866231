package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
	"github.com/latchkeyhq/latchkey/internal/mail"
)

// TestAdminConsoleAccessibilityTree reads what Chromium hands a screen
// reader (the accessibility tree, CDP Accessibility.getFullAXTree) on every
// page of the admin console of `latchkey demo` and checks what a
// screen-reader user depends on: every control they can reach (link,
// button, text box, search box, spin button, check box, radio button,
// combo box, list box) has a name; every page has exactly one level-1
// heading, one main landmark and a named navigation landmark (the sign-in
// page, with nothing to navigate to yet, has none). A refused form (a new
// group named only with spaces) is announced (an alert) and its field is
// marked invalid with the refusal as its description. On the new-user form,
// Tab from the skip link visits every control in document order, and the
// skip link itself moves the keyboard to the content. It does not replace
// a session with a real screen reader (docs/admin.md, Accessibility).
func TestAdminConsoleAccessibilityTree(t *testing.T) {
	st := demotest.Start(t, demo.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
		JWTTTL: jwtTTL, RefreshTTL: time.Minute, GracePeriod: grace},
		func(role string, port int) string { return fmt.Sprintf("http://%s.example.test:%d", role, port) })
	s := stack{idp: st.IdentityURL, store: st.StoreURL, forums: st.ForumsURL, inbox: st.InboxURL}
	browser := newBrowser(t, s)
	admin := s.idp + "/admin"

	// Each subtest also runs alone (see fixture): it signs in, and makes the
	// group or webhook its page shows, when no step before it did.
	signedIn := &fixture{name: "the admin is signed in", make: func(t *testing.T) {
		run(t, browser, "open the sign-in page", chromedp.Navigate(admin+"/login"), chromedp.WaitVisible(chromedp.ID("loginId")))
		checkTree(t, browser, "sign-in page", false)
		run(t, browser, "the admin signs in",
			chromedp.SendKeys(chromedp.ID("loginId"), demo.AdminEmail),
			chromedp.SendKeys(chromedp.ID("password"), demo.AdminPassword+"\r"),
			loaded(`document.title.startsWith("Dashboard")`, 10*time.Second))
	}}
	var groupURL, webhookURL string
	group := &fixture{name: "a group exists", make: func(t *testing.T) {
		signedIn.ensure(t)
		run(t, browser, "create a group", chromedp.Navigate(admin+"/groups"), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SetValue(chromedp.ID("name"), "Readers"),
			chromedp.Click(chromedp.CSS(`form[action="/admin/groups"] button`)),
			loaded(`location.pathname.startsWith("/admin/groups/")`, 10*time.Second))
		groupURL = value(t, browser, "group URL", chromedp.Evaluate[string](`location.origin + location.pathname`))
	}}
	webhook := &fixture{name: "a webhook exists", make: func(t *testing.T) {
		signedIn.ensure(t)
		run(t, browser, "create a webhook", chromedp.Navigate(admin+"/webhooks"), chromedp.WaitVisible(chromedp.ID("url")),
			chromedp.SetValue(chromedp.ID("url"), "https://hooks.example.test/latchkey"),
			chromedp.Click(chromedp.CSS(`input[name=event][value="user.create"]`)),
			chromedp.Click(chromedp.ID("global")),
			chromedp.Click(chromedp.CSS(`form[action="/admin/webhooks"] button`)),
			loaded(`location.pathname.startsWith("/admin/webhooks/") && !!document.querySelector(".notice")`, 10*time.Second))
		webhookURL = value(t, browser, "webhook URL", chromedp.Evaluate[string](`location.origin + location.pathname`))
	}}

	// Rows with controls of their own: a live session (its End button), a
	// member (its Remove button), an API key (its Revoke form). The Store
	// has a role from the start (its Remove form, the user's role boxes).
	session := &fixture{name: "the demo user has a live session", make: func(t *testing.T) {
		if code := apiLogin(t, s.idp); code != 200 {
			t.Fatalf("the demo user's login = %d", code)
		}
	}}
	member := &fixture{name: "the group has a member", make: func(t *testing.T) {
		group.ensure(t)
		run(t, browser, "add a member", chromedp.Navigate(groupURL), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SetValue(chromedp.ID("email"), demo.DemoEmail),
			chromedp.Click(chromedp.CSS(`form[action$="/add"] button`)),
			loaded(`!!document.getElementById("members")`, 10*time.Second))
	}}
	apiKey := &fixture{name: "an API key exists", make: func(t *testing.T) {
		signedIn.ensure(t)
		run(t, browser, "create an API key", chromedp.Navigate(admin+"/api-keys"), chromedp.WaitVisible(chromedp.ID("permissions")),
			chromedp.SetValue(chromedp.ID("description"), "user reader"),
			chromedp.Click(chromedp.CSS(`input[name=perm][value="/api/user GET"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/admin/api-keys"] button`)),
			loaded(`!!document.getElementById("created-key")`, 10*time.Second))
	}}

	pages := []struct {
		name  string
		url   func() string
		needs []*fixture
	}{
		{"dashboard", func() string { return admin + "/" }, nil},
		{"users", func() string { return admin + "/users" }, nil},
		{"user search", func() string { return admin + "/users?q=richard" }, nil},
		{"user", func() string { return admin + "/users/" + demo.DemoUserID }, []*fixture{session}},
		{"new user", func() string { return admin + "/users/new" }, nil},
		{"groups", func() string { return admin + "/groups" }, []*fixture{group}},
		{"group", func() string { return groupURL }, []*fixture{member}},
		{"applications", func() string { return admin + "/applications" }, nil},
		{"application", func() string { return admin + "/applications/" + demo.StoreAppID }, nil},
		{"API keys", func() string { return admin + "/api-keys" }, []*fixture{apiKey}},
		{"signing keys", func() string { return admin + "/keys" }, nil},
		{"tenant", func() string { return admin + "/tenant" }, nil},
		{"email templates", func() string { return admin + "/email-templates" }, nil},
		{"email template", func() string { return admin + "/email-templates/" + mail.DefaultForgotPasswordID }, nil},
		{"webhooks", func() string { return admin + "/webhooks" }, []*fixture{webhook}},
		{"webhook", func() string { return webhookURL }, []*fixture{webhook}},
		{"audit log", func() string { return admin + "/audit" }, nil},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			signedIn.ensure(t)
			for _, f := range p.needs {
				f.ensure(t)
			}
			run(t, browser, "open "+p.name, chromedp.Navigate(p.url()), chromedp.WaitReady(chromedp.ID("main")))
			if title := value(t, browser, "title", chromedp.Evaluate[string](`document.title`)); strings.HasPrefix(title, "Not found") || strings.HasPrefix(title, "Error") {
				t.Fatalf("%s is %q", p.url(), title)
			}
			checkTree(t, browser, p.name, true)
		})
	}

	t.Run("refused form is announced", func(t *testing.T) {
		signedIn.ensure(t)
		// Spaces pass the browser's own check of the required field; the
		// server refuses the name.
		run(t, browser, "create a group named with spaces", chromedp.Navigate(admin+"/groups"), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SetValue(chromedp.ID("name"), "   "),
			chromedp.Click(chromedp.CSS(`form[action="/admin/groups"] button`)),
			loaded(`location.pathname === "/admin/groups" && !!document.querySelector("[aria-invalid=true]")`, 10*time.Second))
		tree := readTree(t, browser)
		var announced []string
		for _, n := range tree.nodes {
			if r := n.role(); (r == "alert" || r == "status") && n.text(tree) != "" {
				announced = append(announced, n.text(tree))
			}
		}
		if len(announced) == 0 {
			t.Errorf("the refusal is announced by no element with role alert or status")
		}
		var invalid []*axNode
		for _, n := range tree.nodes {
			if v, _ := n.prop("invalid").(string); v != "" && v != "false" {
				invalid = append(invalid, n)
			}
		}
		if len(invalid) == 0 {
			t.Fatalf("no field is marked invalid after the refusal")
		}
		for _, n := range invalid {
			if n.description() == "" {
				t.Errorf("the invalid %s has no description (the refusal is not read with it)", describe(t, browser, n))
			}
		}
		if n := invalid[0]; n.role() != "textbox" || n.name() != "Name" {
			t.Errorf("the field marked invalid is %s, want the group's Name", describe(t, browser, n))
		}
		t.Logf("announced %q; the field's description %q", announced, invalid[0].description())
	})

	t.Run("tab order", func(t *testing.T) {
		signedIn.ensure(t)
		run(t, browser, "open the new-user form", chromedp.Navigate(admin+"/users/new"), chromedp.WaitVisible(chromedp.ID("email")))
		want := value(t, browser, "the controls in document order", chromedp.Evaluate[[]string](focusables))
		if len(want) < 2 || !strings.HasPrefix(want[0], "a.skip") {
			t.Fatalf("the page's controls %q do not start with the skip link", want)
		}
		run(t, browser, "focus the skip link", chromedp.Focus(chromedp.CSS("a.skip")))
		got := []string{active(t, browser)}
		for range len(want) - 1 {
			run(t, browser, "press Tab", chromedp.KeyEvent("\t"))
			got = append(got, active(t, browser))
		}
		if !slices.Equal(got, want) {
			t.Errorf("Tab from the skip link visits\n%s\nwant the document order\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The skip link moves the keyboard past the header: Enter on it,
		// then Tab, reaches the form's first field.
		run(t, browser, "follow the skip link", chromedp.Focus(chromedp.CSS("a.skip")), chromedp.KeyEvent("\r"))
		if a := active(t, browser); a != "main#main" {
			t.Errorf("after Enter on the skip link the focus is on %s, want the main content", a)
		}
		run(t, browser, "press Tab", chromedp.KeyEvent("\t"))
		if a := active(t, browser); a != "input#email[email]" {
			t.Errorf("Tab after the skip link reaches %s, want the first field (Email)", a)
		}
	})
}

// describeJS names an element the same way for the document-order list and
// for document.activeElement.
const describeJS = `e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" && !e.id ? "." + e.className.split(" ")[0] : "") +
	(e.name ? "[" + e.name + "]" : "") + (e.tagName === "A" || e.tagName === "BUTTON" ? " " + JSON.stringify(e.textContent.trim()) : "")`

// focusables is every element Tab may stop at, in document order: links,
// form controls and summaries that are shown and enabled, and anything
// with a non-negative tabindex.
const focusables = `[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
	.filter(e => !e.disabled && e.getClientRects().length > 0).map(` + describeJS + `)`

func active(t *testing.T, ctx context.Context) string {
	t.Helper()
	return value(t, ctx, "the focused element", chromedp.Evaluate[string](`(`+describeJS+`)(document.activeElement)`))
}

// namedRoles are the roles of the controls a keyboard reaches: a screen
// reader announces each by its name, and one without a name is read as
// "button" or "edit text" and nothing else.
var namedRoles = []string{"textbox", "searchbox", "spinbutton", "checkbox", "radio", "combobox", "listbox", "button", "link"}

// checkTree reads the page's accessibility tree: every reachable control is
// named; one level-1 heading, one main landmark and, when nav, a named
// navigation landmark.
func checkTree(t *testing.T, ctx context.Context, page string, nav bool) {
	t.Helper()
	tree := readTree(t, ctx)
	var h1, mains, navs, controls int
	for _, n := range tree.nodes {
		if n.Ignored {
			continue
		}
		switch r := n.role(); {
		case slices.Contains(namedRoles, r):
			controls++
			if strings.TrimSpace(n.name()) == "" {
				t.Errorf("%s: a %s has no accessible name: %s", page, r, describe(t, ctx, n))
			}
		case r == "heading":
			if lvl, _ := n.prop("level").(float64); lvl == 1 {
				h1++
				if strings.TrimSpace(n.name()) == "" {
					t.Errorf("%s: the level-1 heading is empty", page)
				}
			}
		case r == "main":
			mains++
		case r == "navigation":
			navs++
			if strings.TrimSpace(n.name()) == "" {
				t.Errorf("%s: a navigation landmark has no name: %s", page, describe(t, ctx, n))
			}
		}
	}
	if h1 != 1 {
		t.Errorf("%s: %d level-1 headings, want 1", page, h1)
	}
	if mains != 1 {
		t.Errorf("%s: %d main landmarks, want 1", page, mains)
	}
	if nav && navs == 0 {
		t.Errorf("%s: no navigation landmark", page)
	}
	if controls == 0 {
		t.Errorf("%s: no control in the accessibility tree", page)
	}
	t.Logf("%s: %d controls, %d level-1 heading, %d main, %d navigation", page, controls, h1, mains, navs)
}

// axTree is a page's accessibility tree, by node id.
type axTree struct {
	nodes []*axNode
	byID  map[accessibility.NodeID]*axNode
}

type axNode struct{ *accessibility.Node }

func readTree(t *testing.T, ctx context.Context) axTree {
	t.Helper()
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("Accessibility.getFullAXTree: %v", err)
	}
	tree := axTree{byID: map[accessibility.NodeID]*axNode{}}
	for _, n := range res.Nodes {
		a := &axNode{n}
		tree.nodes = append(tree.nodes, a)
		tree.byID[n.NodeID] = a
	}
	return tree
}

// str is a computed value as text ("" when absent).
func str(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s any
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return ""
	}
	if x, ok := s.(string); ok {
		return x
	}
	return fmt.Sprint(s)
}

func (n *axNode) role() string        { return str(n.Role) }
func (n *axNode) name() string        { return str(n.Name) }
func (n *axNode) description() string { return str(n.Description) }

// prop is a property's value (string, float64 or bool), nil when absent.
func (n *axNode) prop(name accessibility.PropertyName) any {
	for _, p := range n.Properties {
		if p.Name == name && p.Value != nil {
			var v any
			_ = json.Unmarshal(p.Value.Value, &v)
			return v
		}
	}
	return nil
}

// text is what the node and its descendants read out: their names.
func (n *axNode) text(tree axTree) string {
	var parts []string
	var walk func(*axNode)
	walk = func(n *axNode) {
		if !n.Ignored && n.role() == "StaticText" {
			parts = append(parts, n.name())
		}
		for _, id := range n.ChildIDs {
			if c := tree.byID[id]; c != nil {
				walk(c)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(strings.Join(parts, ""))
}

// describe names a node for a failure: its role, name and element.
func describe(t *testing.T, ctx context.Context, n *axNode) string {
	t.Helper()
	el := "(no element)"
	if n.BackendDOMNodeID != 0 {
		if res, err := chromedp.Call(ctx, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: n.BackendDOMNodeID}); err == nil && res.Node != nil {
			el = "<" + res.Node.LocalName
			for i := 0; i+1 < len(res.Node.Attributes); i += 2 {
				el += fmt.Sprintf(" %s=%q", res.Node.Attributes[i], res.Node.Attributes[i+1])
			}
			el += ">"
		}
	}
	return fmt.Sprintf("%s %q %s", n.role(), n.name(), el)
}

// loaded waits until the page a form submission loads has finished loading
// and shows expr (false on the form's own page), so that the next
// navigation does not cut the submission short.
func loaded(expr string, timeout time.Duration) step {
	return pageShows(`document.readyState === "complete" && (`+expr+`)`, timeout)
}
