package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// homeData is the dashboard.
type homeData struct {
	Users        int
	Applications int
	Keys         int
}

// consoleHome serves GET /admin/: the counts the console manages and where
// to go from here.
func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d homeData
	res, err := s.Manage.Search.Search(ctx, manage.Scope{}, manage.SearchQuery{NumberOfResults: 1})
	d.Users = res.Total
	if err == nil {
		list, lerr := s.Manage.Applications.List(ctx, manage.Scope{}, false)
		d.Applications, err = len(list), lerr
	}
	if err == nil {
		keys, kerr := s.Manage.Keys.List(ctx)
		d.Keys, err = len(keys), kerr
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, "home", consolePage{Title: "Dashboard", Nav: "home", Data: d})
}
