package server

import (
	"net/http"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// homeData is the dashboard.
type homeData struct {
	Users        int
	Applications int
	Keys         int
	// Logins are the successful logins of each of the last 24 hours,
	// oldest first (login records); Max is the largest, for the chart.
	Logins []hourCount
	Max    int
}

// hourCount is one bar of the logins chart.
type hourCount struct {
	Hour  string // "15:00" UTC, the start of the hour
	Count int
	// X and Height place the bar in the chart's 480x120 box.
	X, Height int
}

// loginsByHour counts the login records of each of the last 24 hours (one
// indexed count per hour).
func (s *Server) loginsByHour(r *http.Request) ([]hourCount, int, error) {
	end := s.Now().Truncate(time.Hour).Add(time.Hour)
	out := make([]hourCount, 24)
	peak := 0
	for i := range out {
		from := end.Add(time.Duration(i-24) * time.Hour)
		_, n, err := s.Manage.LoginRecords.Search(r.Context(), manage.Scope{}, manage.LoginRecordQuery{
			Start: from.UnixMilli(), End: from.Add(time.Hour).UnixMilli() - 1, NumberOfResults: 1, RetrieveTotal: true})
		if err != nil {
			return nil, 0, err
		}
		out[i] = hourCount{Hour: from.UTC().Format("15:04"), Count: n, X: i * 20}
		peak = max(peak, n)
	}
	for i := range out {
		if peak > 0 {
			out[i].Height = out[i].Count * 110 / peak
		}
	}
	return out, peak, nil
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
	if err == nil {
		d.Logins, d.Max, err = s.loginsByHour(r)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderConsolePage(w, r, http.StatusOK, "home", consolePage{Title: "Dashboard", Nav: "home", Data: d})
}
