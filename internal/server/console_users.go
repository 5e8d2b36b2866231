package server

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consolePageSize is the number of users a search page lists.
const consolePageSize = 25

// pageLinks are the start rows of the pages before and after the page that
// starts at start and shows shown of total rows, size to a page; -1 where
// there is none.
func pageLinks(start, shown, total, size int) (prev, next int) {
	prev, next = -1, -1
	if start > 0 {
		prev = max(0, start-size)
	}
	if start+shown < total {
		next = start + size
	}
	return prev, next
}

// userNotices are the messages after a user action (seeOther's done=).
var userNotices = map[string]string{
	"locked":      "The user is locked: their logins are refused and their sessions ended.",
	"unlocked":    "The user is unlocked.",
	"deactivated": "The user is deactivated and their sessions ended.",
	"reactivated": "The user is active again.",
	"revoked":     "Every session of the user has ended.",
	"ended":       "The session has ended.",
	"two-factor":  "Two-factor authentication is removed: the user signs in with the password alone until they enrol again.",
	"reset":       "A password reset mail is on its way to the user.",
	"roles":       "The roles are saved; the user's next login or refresh carries them.",
	"registered":  "The user is registered to the application with its default roles.",
	"created":     "The user is created.",
	"saved":       "The profile is saved.",
}

// usersData is the users page.
type usersData struct {
	Query      string
	Users      []storage.User
	Total      int
	Start      int
	Prev, Next int // start rows of the neighbouring pages; -1: none
	Searched   bool
}

// consoleUsers serves GET /admin/users: search by part of an email,
// username or name (the user search API's database engine: a term without
// * matches inside a field), 25 a page.
func (s *Server) consoleUsers(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	start = max(0, min(start, manage.TotalCap))
	d := usersData{Query: q, Start: start, Prev: -1, Next: -1, Searched: r.URL.Query().Has("q")}
	res, err := s.Manage.Search.Search(r.Context(), manage.Scope{}, manage.SearchQuery{QueryString: q, StartRow: start,
		NumberOfResults: consolePageSize, SortFields: []manage.SortField{{Name: "email"}}})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.renderConsolePage(w, r, http.StatusBadRequest, "users", consolePage{Title: "Users", Nav: "users",
			Fields: map[string]string{"q": problemText(inv)}, Data: d})
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	d.Users, d.Total = res.Users, res.Total
	d.Prev, d.Next = pageLinks(start, len(res.Users), res.Total, consolePageSize)
	s.renderConsolePage(w, r, http.StatusOK, "users", consolePage{Title: "Users", Nav: "users", Data: d})
}

// userData is the user page.
type userData struct {
	User     storage.User
	Locks    []storage.UserActionLog
	Sessions []storage.RefreshToken
	Logins   []manage.LoginRecordView
	// Comments are the notes admins left on the user (read-only here).
	Comments []manage.UserComment
	// Methods are the user's second factors (no secrets).
	Methods []storage.TwoFactorMethod
	Self    bool
	// AppNames names the applications of the registrations and sessions;
	// Apps are the active applications by id (their roles), Unregistered
	// those the user may still be registered to.
	AppNames     map[string]string
	Apps         map[string]storage.Application
	Unregistered []storage.Application
}

// Has reports whether reg holds role (for the role checkboxes).
func (userData) Has(reg storage.Registration, role string) bool {
	return slices.Contains(reg.Roles, role)
}

// consoleUser serves GET /admin/users/{id}: the profile, registrations and
// roles, locks in force, live sessions and recent logins, with the actions.
func (s *Server) consoleUser(w http.ResponseWriter, r *http.Request) {
	s.renderUser(w, r, http.StatusOK, consolePage{Notice: userNotices[r.URL.Query().Get("done")]})
}

// renderUser renders the user page of the path's id with p's messages.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, p consolePage) {
	ctx, id := r.Context(), r.PathValue("id")
	u, err := s.Manage.Users.Get(ctx, manage.Scope{}, id)
	if errors.Is(err, manage.ErrNotFound) {
		s.consoleNotFound(w, r, "user")
		return
	}
	d := userData{User: u, Self: u.ID == consoleFrom(ctx).User.ID}
	if err == nil {
		d.Locks, err = s.Manage.Actions.List(ctx, manage.Scope{}, u.ID, manage.ActionFilter{PreventingLogin: true})
	}
	if err == nil {
		d.Sessions, err = s.Manage.RefreshTokens.List(ctx, manage.Scope{}, u.ID)
	}
	if err == nil {
		d.Logins, err = s.Manage.LoginRecords.Recent(ctx, manage.Scope{}, u.ID, 0, 10)
	}
	if err == nil {
		d.Comments, err = s.Manage.Comments.List(ctx, manage.Scope{}, u.ID)
	}
	if err == nil {
		d.Methods, err = s.MFA.Methods(ctx, u.ID)
	}
	if err == nil {
		var apps []storage.Application
		apps, err = s.Manage.Applications.List(ctx, manage.Scope{}, false)
		d.AppNames, d.Apps = map[string]string{}, map[string]storage.Application{}
		for _, a := range apps {
			d.AppNames[a.ID], d.Apps[a.ID] = a.Name, a
			if !slices.ContainsFunc(u.Registrations, func(r storage.Registration) bool { return r.ApplicationID == a.ID }) {
				d.Unregistered = append(d.Unregistered, a)
			}
		}
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Title, p.Nav, p.Data = firstOf(u.Email, u.Username, u.ID), "users", d
	s.renderConsolePage(w, r, status, "user", p)
}

// lockDurations are the lock form's choices; "never" (0 here) ends only
// by unlock. A value the form does not offer is refused, never read as one
// of them.
var lockDurations = map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour,
	"30d": 30 * 24 * time.Hour, "never": 0}

// lockUntil is the end of a lock of the form's duration from now; false
// when the form does not offer that duration.
func lockUntil(duration string, now time.Time) (time.Time, bool) {
	d, ok := lockDurations[duration]
	switch {
	case !ok:
		return time.Time{}, false
	case d == 0:
		return time.UnixMilli(math.MaxInt64), true
	}
	return now.Add(d), true
}

// consoleUserAction handles POST /admin/users/{id}/{action}: lock, unlock,
// deactivate, reactivate, revoke (every session), end-session (one),
// two-factor (remove every second factor). Each goes through the
// management use case the API uses, so it is audited with the admin as the
// actor. Destructive ones need their confirmation box ticked; an admin
// cannot lock or deactivate their own account.
func (s *Server) consoleUserAction(w http.ResponseWriter, r *http.Request) {
	ctx, id, action := r.Context(), r.PathValue("id"), r.PathValue("action")
	self := id == consoleFrom(ctx).User.ID
	destructive := action == "lock" || action == "deactivate" || action == "revoke" || action == "end-session" ||
		action == "two-factor"
	switch {
	case !manage.ValidID(id):
		s.consoleNotFound(w, r, "user")
		return
	case destructive && r.PostFormValue("confirm") != "yes":
		field := action
		if action == "end-session" {
			// One box per session: the message goes next to the one sent.
			field = "end-session-" + r.PostFormValue("session")
		}
		s.renderUser(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{field: "Tick the box to confirm."}})
		return
	case self && (action == "lock" || action == "deactivate"):
		s.renderUser(w, r, http.StatusBadRequest, consolePage{Problem: "You cannot " + action + " your own account."})
		return
	}
	var err error
	notice := ""
	switch action {
	case "lock":
		until, ok := lockUntil(r.PostFormValue("duration"), s.Now())
		if !ok {
			s.renderUser(w, r, http.StatusBadRequest, consolePage{Fields: map[string]string{"duration": "Choose one of the offered durations."}})
			return
		}
		_, err = s.Manage.Console.Lock(ctx, id, r.PostFormValue("comment"), until)
		notice = "locked"
	case "unlock":
		_, err = s.Manage.Console.Unlock(ctx, id, r.PostFormValue("comment"))
		notice = "unlocked"
	case "deactivate":
		err, notice = s.Manage.Users.Deactivate(ctx, manage.Scope{}, id), "deactivated"
	case "reactivate":
		_, err = s.Manage.Users.Reactivate(ctx, manage.Scope{}, id)
		notice = "reactivated"
	case "revoke":
		err, notice = s.Manage.RefreshTokens.Revoke(ctx, manage.Scope{}, manage.Revocation{UserID: id}), "revoked"
	case "end-session":
		// The session must be the user's: another's id is not found.
		sid := r.PostFormValue("session")
		if !manage.ValidID(sid) {
			s.consoleNotFound(w, r, "session")
			return
		}
		err, notice = s.Manage.RefreshTokens.Revoke(ctx, manage.Scope{}, manage.Revocation{ID: sid, UserID: id}), "ended"
	case "two-factor":
		// Every method and the recovery codes, audited with the admin as
		// the actor (mfa.AdminRemove).
		err, notice = s.MFA.AdminRemove(ctx, manage.Scope{}, mfa.RemoveRequest{UserID: id}), "two-factor"
	case "reset":
		err = s.consoleSendReset(r, id)
		notice = "reset"
	case "roles":
		err, notice = s.consoleSetRoles(r, id, self), "roles"
	case "register":
		_, err = s.Manage.Registrations.Register(ctx, manage.Scope{}, id, storage.Registration{ApplicationID: r.PostFormValue("application")}, false)
		notice = "registered"
	default:
		s.consoleNotFound(w, r, "action")
		return
	}
	var inv *manage.Invalid
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "user")
	case errors.As(err, &inv):
		s.renderUser(w, r, http.StatusBadRequest, consolePage{Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/users/"+id, notice)
	}
}

// consoleSetRoles replaces the roles of the user's registration to the
// form's application with the ticked ones. An admin cannot take their own
// admin role away (they would lock themselves out of the console).
func (s *Server) consoleSetRoles(r *http.Request, userID string, self bool) error {
	app, roles := r.PostFormValue("application"), r.PostForm["role"]
	if self && app == manage.AdminApplicationID && !slices.Contains(roles, manage.AdminRole) {
		return &manage.Invalid{Problems: []manage.Problem{{Kind: "invalid", Field: "role",
			Message: "You cannot remove your own admin role."}}}
	}
	if !manage.ValidID(app) {
		return manage.ErrNotFound
	}
	_, err := s.Manage.Registrations.Update(r.Context(), manage.Scope{}, userID, app,
		func(reg storage.Registration) (storage.Registration, error) {
			reg.Roles = append([]string{}, roles...)
			return reg, nil
		})
	return err
}

// consoleSendReset mails userID a password reset link (FusionAuth's
// forgot-password with an API key: the console is trusted like one).
func (s *Server) consoleSendReset(r *http.Request, userID string) error {
	u, err := s.Manage.Users.Get(r.Context(), manage.Scope{}, userID)
	if err != nil {
		return err
	}
	if u.Email == "" {
		return noAddress
	}
	_, err = s.Manage.Accounts.ForgotPassword(r.Context(), manage.Scope{}, manage.ForgotPassword{LoginID: u.Email,
		WithKey: true, SendEmail: true})
	if errors.Is(err, manage.ErrNoAddress) {
		return noAddress
	}
	return err
}

// noAddress refuses a reset for a user without an email address.
var noAddress = &manage.Invalid{Problems: []manage.Problem{{Kind: "missing", Field: "email",
	Message: "The user has no email address to send a reset link to."}}}

// problemText joins an Invalid's messages for a page.
func problemText(inv *manage.Invalid) string {
	msgs := make([]string, len(inv.Problems))
	for i, p := range inv.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, " ")
}
