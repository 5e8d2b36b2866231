package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// moderatorID is the user who writes the comments of these tests.
const moderatorID = "0f1a2b3c-0000-4000-8000-0000000000c1"

// withModerator stores a second user of the default tenant.
func (s *stack) withModerator() {
	s.t.Helper()
	must(s.t, s.Store.CreateUser(context.Background(), storage.User{ID: moderatorID, TenantID: tenantID, Active: true,
		Email: "moderator@example.test", InsertInstant: s.Clock.Now().UnixMilli()}))
}

// comment is a POST /api/user/comment body.
func comment(userID, commenterID, text string) map[string]any {
	return map[string]any{"userComment": map[string]any{"userId": userID, "commenterId": commenterID, "comment": text}}
}

// storedComments is every comment in the store.
func (s *stack) storedComments() []storage.UserComment {
	s.t.Helper()
	cs, _, err := s.Store.ListUserComments(context.Background(), storage.UserCommentFilter{})
	must(s.t, err)
	return cs
}

// TestUserComments pins the User Comment API (user-comments.mdx): a
// comment is answered with its id and insertInstant; GET
// /api/user/comment/{userId} lists a user's comments oldest first; the
// search filters by user, commenter and text, newest first unless
// orderBy says ASC, and pages with a total. A comment of exactly 4000
// characters is taken.
func TestUserComments(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	res := s.api("POST", "/api/user/comment", comment(aliceID, moderatorID, "Not sure if this user is violating any rules or not."))
	if res.status != 200 {
		t.Fatalf("add: %d %s", res.status, res.body)
	}
	managementGolden(t, "user-comment-add", res.status, res.body)
	s.Clock.Advance(time.Minute)
	s.apiOK("POST", "/api/user/comment", comment(aliceID, aliceID, "Second: alice about herself"))
	s.Clock.Advance(time.Minute)
	s.apiOK("POST", "/api/user/comment", comment(moderatorID, aliceID, "About the moderator"))
	s.Clock.Advance(time.Minute)
	long := strings.Repeat("é", manage.MaxUserCommentLength)
	s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, long))

	res = s.api("GET", "/api/user/comment/"+aliceID, nil)
	if res.status != 200 {
		t.Fatalf("list: %d %s", res.status, res.body)
	}
	got := members(t, res.json(t)["userComments"], "comment")
	if want := []string{"Not sure if this user is violating any rules or not.", "Second: alice about herself", long}; !equal(got, want) {
		t.Fatalf("alice's comments %q, want %q oldest first", got, want)
	}
	res = s.api("GET", "/api/user/comment/"+moderatorID, nil)
	managementGolden(t, "user-comment-list", res.status, res.body)

	for _, c := range []struct {
		name   string
		search map[string]any
		want   []string
		total  float64
	}{
		{"by user, newest first", map[string]any{"userId": aliceID, "numberOfResults": 2}, []string{long, "Second: alice about herself"}, 3},
		{"by user, oldest first, second page", map[string]any{"userId": aliceID, "orderBy": "insertInstant ASC", "startRow": 2}, []string{long}, 3},
		{"by commenter", map[string]any{"commenterId": aliceID}, []string{"About the moderator", "Second: alice about herself"}, 2},
		{"by text, any case", map[string]any{"comment": "VIOLATING"}, []string{"Not sure if this user is violating any rules or not."}, 1},
		{"by tenant", map[string]any{"tenantId": tenantID, "comment": "about"}, []string{"About the moderator", "Second: alice about herself"}, 2},
		{"nothing", map[string]any{"comment": "no such words"}, []string{}, 0},
	} {
		res := s.api("POST", "/api/user/comment/search", map[string]any{"search": c.search})
		if res.status != 200 {
			t.Fatalf("%s: %d %s", c.name, res.status, res.body)
		}
		m := res.json(t)
		if got := members(t, m["userComments"], "comment"); !equal(got, c.want) || m["total"] != c.total {
			t.Errorf("%s: %q total %v, want %q total %v", c.name, got, m["total"], c.want, c.total)
		}
	}
	res = s.api("POST", "/api/user/comment/search", map[string]any{"search": map[string]any{"userId": moderatorID}})
	managementGolden(t, "user-comment-search", res.status, res.body)
}

func equal(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// TestUserCommentRefusals: a comment without its text, user or commenter,
// one longer than 4000 characters, one on or by an unknown user, and
// malformed bodies and searches are 400 in FusionAuth's error shape
// (never a 500), and store nothing, not even an audit entry; GET for an
// id that is not a UUID is 400, for an unknown user 404.
func TestUserCommentRefusals(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	unknown := "0f1a2b3c-0000-4000-8000-00000000dead"
	s.wantRefusals([]refusal{
		{"no comment", "POST", "/api/user/comment", comment(aliceID, moderatorID, ""), 400, []string{"[blank]userComment.comment"}},
		{"blank comment", "POST", "/api/user/comment", comment(aliceID, moderatorID, " \n\t"), 400, []string{"[blank]userComment.comment"}},
		{"too long", "POST", "/api/user/comment", comment(aliceID, moderatorID, strings.Repeat("x", manage.MaxUserCommentLength+1)), 400,
			[]string{"[tooLong]userComment.comment"}},
		{"nothing", "POST", "/api/user/comment", map[string]any{"userComment": map[string]any{}}, 400,
			[]string{"[blank]userComment.comment", "[blank]userComment.userId", "[blank]userComment.commenterId"}},
		{"unknown user", "POST", "/api/user/comment", comment(unknown, moderatorID, "x"), 400, []string{"[invalid]userComment.userId"}},
		{"user not a UUID", "POST", "/api/user/comment", comment("alice", moderatorID, "x"), 400, []string{"[invalid]userComment.userId"}},
		{"unknown commenter", "POST", "/api/user/comment", comment(aliceID, unknown, "x"), 400, []string{"[invalid]userComment.commenterId"}},
		{"not JSON", "POST", "/api/user/comment", "{", 400, []string{"[invalid]"}},
		{"comment not a string", "POST", "/api/user/comment", `{"userComment":{"comment":7}}`, 400, []string{"userComment.comment"}},
		{"list, id not a UUID", "GET", "/api/user/comment/alice", nil, 400, []string{"[couldNotConvert]userId"}},
		{"list, unknown user", "GET", "/api/user/comment/" + unknown, nil, 404, nil},
		{"search, bad order", "POST", "/api/user/comment/search", map[string]any{"search": map[string]any{"orderBy": "comment; DROP TABLE users"}}, 400,
			[]string{"[invalid]search.orderBy"}},
		{"search, negative row", "POST", "/api/user/comment/search", map[string]any{"search": map[string]any{"startRow": -1}}, 400,
			[]string{"[invalid]search.startRow"}},
		{"search, user not a UUID", "POST", "/api/user/comment/search", map[string]any{"search": map[string]any{"userId": "alice"}}, 400,
			[]string{"[couldNotConvert]search.userId"}},
	})
	if cs := s.storedComments(); len(cs) != 0 {
		t.Fatalf("%d refused comments were stored", len(cs))
	}
	if _, n, err := s.Store.SearchAuditEntries(context.Background(), storage.AuditSearch{Message: "comment", Limit: 10}); err != nil || n != 0 {
		t.Fatalf("refused comments left %d audit entries (%v)", n, err)
	}
}

// TestUserCommentsNeedTheirPermission: without a key, with a key for
// /api/user only, or with one whose /api/user/comment permission lacks the
// method, every user comment endpoint is 401 and nothing is stored; the
// search has its own permission, /api/user/comment/search.
func TestUserCommentsNeedTheirPermission(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	ctx := context.Background()
	keys := map[string]map[string][]string{
		"user-only-key-0123456789abcdef0123456789abcdef":  {"/api/user": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"read-only-key-0123456789abcdef0123456789abcdef":  {"/api/user/comment": {"GET"}},
		"write-only-key-0123456789abcdef0123456789abcdef": {"/api/user/comment": {"POST"}},
	}
	for key, endpoints := range keys {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), TenantID: tenantID,
			KeyHash: manage.HashAPIKey(key), Endpoints: endpoints, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	add := comment(aliceID, moderatorID, "written without the permission")
	search := map[string]any{"search": map[string]any{"userId": aliceID}}
	for _, c := range []struct {
		key, method, path string
		body              any
		status            int
	}{
		{"", "POST", "/api/user/comment", add, 401},
		{"", "GET", "/api/user/comment/" + aliceID, nil, 401},
		{"", "POST", "/api/user/comment/search", search, 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/comment", add, 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/user/comment/" + aliceID, nil, 401},
		{"user-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/comment/search", search, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/comment", add, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/comment/search", search, 401},
		{"read-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/user/comment/" + aliceID, nil, 200},
		{"write-only-key-0123456789abcdef0123456789abcdef", "GET", "/api/user/comment/" + aliceID, nil, 401},
		{"write-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/comment/search", search, 401},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", c.key)
		if res.status != c.status {
			t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, c.key, res.status, res.body, c.status)
		}
	}
	if cs := s.storedComments(); len(cs) != 0 {
		t.Fatalf("a refused key stored comments: %+v", cs)
	}
	s.apiOK("POST", "/api/user/comment", add, "Authorization", "write-only-key-0123456789abcdef0123456789abcdef")
	if cs := s.storedComments(); len(cs) != 1 {
		t.Fatalf("the key holding POST /api/user/comment: %d comments stored", len(cs))
	}
}

// TestUserCommentsTenantScope: a key scoped to a tenant can neither
// comment on, nor list, nor find the comments of another tenant's user,
// nor name one as the commenter; the other tenant's comments stay.
func TestUserCommentsTenantScope(t *testing.T) {
	s := newStack(t)
	s.withOtherTenant()
	s.apiOK("POST", "/api/user/comment", comment(otherUserID, otherUserID, "in the other tenant"))
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"comment on", "POST", "/api/user/comment", comment(otherUserID, aliceID, "x"), 400, "[invalid]userComment.userId"},
		{"comment by", "POST", "/api/user/comment", comment(aliceID, otherUserID, "x"), 400, "[invalid]userComment.commenterId"},
		{"list", "GET", "/api/user/comment/" + otherUserID, nil, 404, ""},
	} {
		res := s.api(c.method, c.path, c.body, "Authorization", scopedKey)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.status, res.body, c.status, c.code)
		}
	}
	for _, search := range []map[string]any{{}, {"tenantId": otherTenant}, {"userId": otherUserID}} {
		m := s.apiOK("POST", "/api/user/comment/search", map[string]any{"search": search}, "Authorization", scopedKey)
		if m["total"] != 0.0 || len(m["userComments"].([]any)) != 0 {
			t.Errorf("search %v with the scoped key: %v", search, m)
		}
	}
	if cs := s.storedComments(); len(cs) != 1 || cs[0].UserID != otherUserID {
		t.Fatalf("comments after the scoped key's attempts: %+v", cs)
	}
}

// TestUserCommentsGoWithTheirUser: a hard delete of a user deletes the
// comments about them; those they wrote about others stay, naming them.
func TestUserCommentsGoWithTheirUser(t *testing.T) {
	s := newStack(t)
	s.withModerator()
	s.apiOK("POST", "/api/user/comment", comment(moderatorID, aliceID, "by alice"))
	s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, "about alice"))
	s.apiOK("DELETE", "/api/user/"+aliceID+"?hardDelete=true", nil)
	m := s.apiOK("POST", "/api/user/comment/search", map[string]any{"search": map[string]any{}})
	if got := members(t, m["userComments"], "comment"); !equal(got, []string{"by alice"}) {
		t.Fatalf("after alice's deletion: %q, want only the comment she wrote", got)
	}
	if res := s.api("GET", "/api/user/comment/"+aliceID, nil); res.status != 404 {
		t.Fatalf("the deleted user's comments: %d %s", res.status, res.body)
	}
}

// TestConsoleUserPageListsComments: the admin console's user page lists
// the comments on the user, oldest first, as text: markup in a comment is
// escaped, never rendered.
func TestConsoleUserPageListsComments(t *testing.T) {
	s, c, _ := newAdminConsole(t, "")
	page := c.get("/admin/users/" + aliceID)
	if page.status != 200 || !strings.Contains(string(page.body), `id="no-comments"`) {
		t.Fatalf("the user page without comments: %d", page.status)
	}
	s.withModerator()
	s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, "first <script>alert(1)</script>"))
	s.Clock.Advance(time.Minute)
	s.apiOK("POST", "/api/user/comment", comment(aliceID, moderatorID, "second"))
	body := string(c.get("/admin/users/" + aliceID).body)
	first, second := strings.Index(body, "first &lt;script&gt;alert(1)&lt;/script&gt;"), strings.Index(body, "<td>second</td>")
	if first < 0 || second < first || strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, moderatorID) {
		t.Fatalf("the user page's comments (first at %d, second at %d):\n%s", first, second, body)
	}
}
