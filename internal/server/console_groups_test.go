package server_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

var memberRow = regexp.MustCompile(`<a href="/admin/users/([^"]+)">`)

// TestConsoleRenamesAndPagesGroup: a group is renamed in the console (an
// empty or taken name is shown next to the field and in an alert, nothing changes; a
// cross-site or non-admin rename changes nothing), and a group of 150
// members is listed 100 a page, every member on exactly one page.
func TestConsoleRenamesAndPagesGroup(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	ctx := context.Background()
	g, err := s.Srv.Manage.Groups.Create(ctx, manage.Scope{}, "", manage.GroupInput{Name: "Staff"})
	must(t, err)
	_, err = s.Srv.Manage.Groups.Create(ctx, manage.Scope{}, "", manage.GroupInput{Name: "Taken"})
	must(t, err)
	path := "/admin/groups/" + g.ID
	token := csrf(t, c.get(path))
	rev := pageRevision(t, c.get(path))
	name := func() string {
		got, err := s.Store.GetGroup(ctx, g.ID)
		must(t, err)
		return got.Name
	}
	for _, bad := range []string{"", "Taken"} {
		res := c.post(path+"/rename", url.Values{"csrf": {token}, "revision": {rev}, "name": {bad}})
		wantFieldError(t, "rename to "+bad, res, "name")
		// A screen reader is told too: the refusal is in an alert.
		if !regexp.MustCompile(`<p class="problem" role="alert"[^>]*>Not done: [^<]*name`).Match(res.body) {
			t.Fatalf("the refusal of %q is in no alert:\n%s", bad, res.body)
		}
	}
	newRefusals(t, s, c).refused(t, path+"/rename", url.Values{"csrf": {token}, "revision": {rev}, "name": {"Pwned"}}, func() {
		if got := name(); got != "Staff" {
			t.Fatalf("refused renames changed the name to %q", got)
		}
	})
	wantConsoleStatus(t, "rename", c.post(path+"/rename", url.Values{"csrf": {token}, "revision": {rev}, "name": {"Crew"}}), 303)
	if got := name(); got != "Crew" {
		t.Fatalf("name after the rename: %q", got)
	}

	s.seedUsers(150)
	res, err := s.Srv.Manage.Search.Search(ctx, manage.Scope{}, manage.SearchQuery{QueryString: "bulk.example.test", NumberOfResults: 150})
	must(t, err)
	var in []manage.MemberInput
	for _, u := range res.Users {
		in = append(in, manage.MemberInput{UserID: u.ID})
	}
	if len(in) != 150 {
		t.Fatalf("seeded %d users, want 150", len(in))
	}
	_, err = s.Srv.Manage.Members.Add(ctx, manage.Scope{}, map[string][]manage.MemberInput{g.ID: in}, false)
	must(t, err)
	seen := map[string]int{}
	first := c.get(path)
	next := regexp.MustCompile(`href="(/admin/groups/[^"]+\?start=\d+)" rel="next"`).FindSubmatch(first.body)
	if next == nil {
		t.Fatalf("no link to the next members:\n%s", first.body)
	}
	second := c.get(string(next[1]))
	wantConsoleStatus(t, "the second page", second, 200)
	if regexp.MustCompile(`rel="next"`).Match(second.body) {
		t.Fatal("the last page links to a next one")
	}
	for i, page := range []result{first, second} {
		rows := memberRow.FindAllSubmatch(page.body, -1)
		if want := []int{100, 50}[i]; len(rows) != want {
			t.Fatalf("page %d lists %d members, want %d", i+1, len(rows), want)
		}
		for _, m := range rows {
			seen[string(m[1])]++
		}
	}
	for _, m := range in {
		if seen[m.UserID] != 1 {
			t.Fatalf("member %s shown %d times over the pages", m.UserID, seen[m.UserID])
		}
	}
}
