package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// groupNotices are the messages after a group change (seeOther's done=).
var groupNotices = map[string]string{
	"created": "The group is created. Give it roles and members below.",
	"roles":   "The group's roles are saved; members get them at their next login or refresh.",
	"added":   "The user is a member now.",
	"removed": "The member is removed.",
	"deleted": "The group is deleted.",
	"renamed": "The group is renamed.",
}

// groupPageSize is the number of members a group page lists.
const groupPageSize = 100

// consoleGroups serves GET /admin/groups: every group with its roles, and
// a form to create one.
func (s *Server) consoleGroups(w http.ResponseWriter, r *http.Request) {
	s.renderGroups(w, r, http.StatusOK, consolePage{Notice: groupNotices[r.URL.Query().Get("done")]})
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, status int, p consolePage) {
	groups, err := s.Manage.Groups.List(r.Context(), manage.Scope{}, "")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Title, p.Nav, p.Data = "Groups", "groups", groups
	s.renderConsolePage(w, r, status, "groups", p)
}

// consoleGroupCreate handles POST /admin/groups (name).
func (s *Server) consoleGroupCreate(w http.ResponseWriter, r *http.Request) {
	g, err := s.Manage.Groups.Create(r.Context(), manage.Scope{}, "", manage.GroupInput{Name: r.PostFormValue("name")})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.renderGroups(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"name": problemText(inv)}})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/groups/"+g.ID, "created")
	}
}

// groupData is the group page.
type groupData struct {
	Group   manage.GroupView
	Apps    []storage.Application
	Members []groupMember
	Total   int
	// Start is the first member shown; Prev and Next the start rows of the
	// neighbouring pages (-1: none).
	Start, Prev, Next int
	// Name is the rename form's value (as typed after a refusal).
	Name string
}

// groupMember is a membership with its user's email.
type groupMember struct {
	storage.GroupMember
	Email string
}

// HasRole reports whether the group holds the role (for its checkbox).
func (d groupData) HasRole(appID, roleID string) bool {
	return slices.ContainsFunc(d.Group.Roles[appID], func(r storage.ApplicationRole) bool { return r.ID == roleID })
}

// consoleGroup serves GET /admin/groups/{id}: its name, roles by
// application, and 100 members a page from ?start= (with the forms to add
// and remove one).
func (s *Server) consoleGroup(w http.ResponseWriter, r *http.Request) {
	s.renderGroup(w, r, http.StatusOK, consolePage{Notice: groupNotices[r.URL.Query().Get("done")]})
}

func (s *Server) renderGroup(w http.ResponseWriter, r *http.Request, status int, p consolePage) {
	s.renderGroupAs(w, r, status, p, r.Method == http.MethodPost && r.PathValue("action") == "rename")
}

// renderGroupAs is renderGroup with the rename form's name as typed (typed)
// or as stored (a form refused for its revision shows the current values).
func (s *Server) renderGroupAs(w http.ResponseWriter, r *http.Request, status int, p consolePage, typed bool) {
	ctx := r.Context()
	g, err := s.Manage.Groups.Get(ctx, manage.Scope{}, r.PathValue("id"))
	if errors.Is(err, manage.ErrNotFound) {
		s.consoleNotFound(w, r, "group")
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	d := groupData{Group: g, Start: max(0, min(start, manage.TotalCap)), Prev: -1, Next: -1, Name: g.Name}
	if typed {
		d.Name = r.PostFormValue("name")
	}
	var members []storage.GroupMember
	if err == nil {
		d.Apps, err = s.Manage.Applications.List(ctx, manage.Scope{}, false)
	}
	if err == nil {
		members, d.Total, err = s.Manage.Members.Search(ctx, manage.Scope{}, g.ID, "", d.Start, groupPageSize)
	}
	d.Prev, d.Next = pageLinks(d.Start, len(members), d.Total, groupPageSize)
	if err == nil {
		d.Members, err = s.memberEmails(r, members)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Title, p.Nav, p.Data = g.Name, "groups", d
	s.renderConsolePage(w, r, status, "group", p)
}

// memberEmails names the members by their email (one bulk read).
func (s *Server) memberEmails(r *http.Request, members []storage.GroupMember) ([]groupMember, error) {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	out := make([]groupMember, len(members))
	if len(ids) == 0 {
		return out, nil
	}
	res, err := s.Manage.Search.Search(r.Context(), manage.Scope{}, manage.SearchQuery{IDs: ids})
	if err != nil {
		return nil, err
	}
	email := map[string]string{}
	for _, u := range res.Users {
		email[u.ID] = u.Email
	}
	for i, m := range members {
		out[i] = groupMember{GroupMember: m, Email: email[m.UserID]}
	}
	return out, nil
}

// consoleGroupAction handles POST /admin/groups/{id}/{action}: rename
// (name; a refusal next to the field), roles
// (the ticked role ids), add (a user by email), remove (a user id), delete
// (confirmed). Each through the group and member APIs' use cases. Rename
// and roles carry the group's revision the page was opened from
// (console_revision.go): each changes only its own field of the group as
// it is now, and only while it has that revision.
func (s *Server) consoleGroupAction(w http.ResponseWriter, r *http.Request) {
	ctx, id, action := r.Context(), r.PathValue("id"), r.PathValue("action")
	var err error
	to := consolePath + "/groups/" + id
	rev, revOK := formRevision(r)
	if (action == "rename" || action == "roles") && !revOK {
		s.renderGroupAs(w, r, http.StatusBadRequest, consolePage{Problem: badRevision("group")}, false)
		return
	}
	switch action {
	case "rename":
		_, err = s.Manage.Groups.Update(ctx, manage.Scope{}, id, func(in manage.GroupInput) (manage.GroupInput, error) {
			in.Name = r.PostFormValue("name")
			return in, sameRevision(in.Revision, rev)
		})
		var inv *manage.Invalid
		if errors.As(err, &inv) {
			s.renderGroup(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"name": problemText(inv)}})
			return
		}
		action = "renamed"
	case "roles":
		_, err = s.Manage.Groups.Update(ctx, manage.Scope{}, id, func(in manage.GroupInput) (manage.GroupInput, error) {
			in.RoleIDs = append([]string{}, r.PostForm["role"]...)
			return in, sameRevision(in.Revision, rev)
		})
	case "add":
		var u storage.User
		u, err = s.Manage.Users.Find(ctx, manage.Scope{}, manage.UserQuery{Email: strings.TrimSpace(r.PostFormValue("email"))})
		if errors.Is(err, manage.ErrNotFound) {
			s.renderGroup(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"email": "No user has that email address."}})
			return
		}
		if err == nil {
			_, err = s.Manage.Members.Add(ctx, manage.Scope{}, map[string][]manage.MemberInput{id: {{UserID: u.ID}}}, false)
		}
		action = "added"
	case "remove":
		err, action = s.Manage.Members.Remove(ctx, manage.Scope{}, manage.MemberRemoval{GroupID: id, UserID: r.PostFormValue("user")}), "removed"
	case "delete":
		if r.PostFormValue("confirm") != "yes" {
			s.renderGroup(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"delete": "Tick the box to confirm."}})
			return
		}
		err, action, to = s.Manage.Groups.Delete(ctx, manage.Scope{}, id), "deleted", consolePath+"/groups"
	default:
		s.consoleNotFound(w, r, "action")
		return
	}
	var inv *manage.Invalid
	switch {
	case errors.Is(err, errChangedSinceOpened):
		s.renderGroupAs(w, r, http.StatusConflict, consolePage{Problem: changedSinceOpened("group")}, false)
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "group or member")
	case errors.As(err, &inv):
		s.renderGroup(w, r, http.StatusBadRequest, consolePage{Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, to, action)
	}
}
