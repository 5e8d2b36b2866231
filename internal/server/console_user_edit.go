package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// userFields maps the user API's field names to the console forms'.
var userFields = map[string]string{"user.email": "email", "user.username": "username", "user.password": "password",
	"user.firstName": "firstName", "user.lastName": "lastName"}

// formUser reads the profile fields every user form has.
func formUser(r *http.Request) storage.User {
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	return storage.User{Email: v("email"), Username: v("username"), FirstName: v("firstName"), LastName: v("lastName")}
}

// fieldProblems puts an Invalid's messages next to their form fields; the
// rest becomes the page's problem.
func fieldProblems(inv *manage.Invalid) (map[string]string, string) {
	fields := map[string]string{}
	var rest []string
	for _, p := range inv.Problems {
		if f, ok := userFields[p.Field]; ok {
			fields[f] = p.Message
		} else {
			rest = append(rest, p.Message)
		}
	}
	return fields, strings.Join(rest, " ")
}

// newUserData is the create form as typed (never the password).
type newUserData struct{ User storage.User }

// consoleNewUser serves GET /admin/users/new: the create form.
func (s *Server) consoleNewUser(w http.ResponseWriter, r *http.Request) {
	s.renderConsolePage(w, r, http.StatusOK, "usernew", consolePage{Title: "New user", Nav: "users", Data: newUserData{}})
}

// consoleUserCreate handles POST /admin/users: a user of the default tenant
// through the user API's create (the tenant's password rules, the
// verification mail when the tenant verifies addresses, the audit entry).
func (s *Server) consoleUserCreate(w http.ResponseWriter, r *http.Request) {
	u := formUser(r)
	c, err := s.Manage.Users.Create(r.Context(), manage.NewUser{User: manage.UserInput{User: u, Password: r.PostFormValue("password")}})
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		fields, problem := fieldProblems(inv)
		s.renderConsolePage(w, r, http.StatusBadRequest, "usernew", consolePage{Title: "New user", Nav: "users", Fields: fields,
			Problem: problem, Data: newUserData{User: u}})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/users/"+c.User.ID, "created")
	}
}

// consoleUserEdit handles POST /admin/users/{id}/edit: email, username and
// names through the user API's update (a changed email is unverified and
// gets a verification mail when the tenant says so).
func (s *Server) consoleUserEdit(w http.ResponseWriter, r *http.Request) {
	in := formUser(r)
	_, err := s.Manage.Users.Update(r.Context(), manage.Scope{}, r.PathValue("id"), func(u storage.User) (manage.UserInput, error) {
		u.Email, u.Username, u.FirstName, u.LastName = in.Email, in.Username, in.FirstName, in.LastName
		return manage.UserInput{User: u}, nil
	})
	var inv *manage.Invalid
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "user")
	case errors.As(err, &inv):
		fields, problem := fieldProblems(inv)
		s.renderUser(w, r, http.StatusBadRequest, consolePage{Fields: fields, Problem: problem})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/users/"+r.PathValue("id"), "saved")
	}
}
