package server

import (
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// consoleRoleAdd handles POST /admin/applications/{id}/roles: a new role
// (name, description, default, super role) through the role API's use
// case (its validation and audit entry). A refused role is shown next to
// its field with the application's form as it is stored.
func (s *Server) consoleRoleAdd(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	role := storage.ApplicationRole{Name: r.PostFormValue("roleName"), Description: r.PostFormValue("roleDescription"),
		IsDefault: r.PostFormValue("roleDefault") == "on", IsSuperRole: r.PostFormValue("roleSuper") == "on"}
	_, err := s.Manage.Roles.Create(ctx, manage.Scope{}, id, "", role)
	s.afterRoleChange(w, r, err, "role-added")
}

// consoleRoleRemove handles POST /admin/applications/{id}/roles/{roleId}/delete:
// confirmed, the role leaves the application and every registration and
// group holding it. The console's own admin role cannot be removed (nobody
// could sign in to the console again).
func (s *Server) consoleRoleRemove(w http.ResponseWriter, r *http.Request) {
	a, ok := s.consoleApp(w, r)
	if !ok {
		return
	}
	roleID := r.PathValue("roleId")
	field := "remove-" + roleID
	for _, role := range a.Roles {
		if role.ID != roleID {
			continue
		}
		switch {
		case r.PostFormValue("confirm") != "yes":
			s.renderApp(w, r, http.StatusBadRequest, newAppForm(a), consolePage{Fields: map[string]string{field: "Tick the box to confirm."}})
			return
		case a.ID == manage.AdminApplicationID && role.Name == manage.AdminRole:
			s.renderApp(w, r, http.StatusBadRequest, newAppForm(a), consolePage{Fields: map[string]string{field: "The console's admin role cannot be removed."}})
			return
		}
	}
	err := s.Manage.Roles.Delete(r.Context(), manage.Scope{}, a.ID, roleID, "")
	s.afterRoleChange(w, r, err, "role-removed")
}

// afterRoleChange answers a role form: the application page again with
// the refusal next to its field, or a redirect with the notice.
func (s *Server) afterRoleChange(w http.ResponseWriter, r *http.Request, err error, notice string) {
	var inv *manage.Invalid
	switch {
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application or role")
	case errors.As(err, &inv):
		a, ok := s.consoleApp(w, r)
		if !ok {
			return
		}
		fields := map[string]string{}
		for _, p := range inv.Problems {
			fields["roleName"] = p.Message // every role problem is about its name (or id)
		}
		f := newAppForm(a)
		f.NewRole = storage.ApplicationRole{Name: r.PostFormValue("roleName"), Description: r.PostFormValue("roleDescription"),
			IsDefault: r.PostFormValue("roleDefault") == "on", IsSuperRole: r.PostFormValue("roleSuper") == "on"}
		s.renderApp(w, r, http.StatusBadRequest, f, consolePage{Fields: fields, Problem: problemText(inv)})
	case err != nil:
		s.consoleError(w, r, err)
	default:
		seeOther(w, r, consolePath+"/applications/"+r.PathValue("id"), notice)
	}
}
