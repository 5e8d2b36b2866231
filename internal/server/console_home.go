package server

import (
	"net/http"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/tally"
)

// chartHours is how many hours the dashboard charts, the current one last.
const chartHours = 24

// homeData is the dashboard.
type homeData struct {
	Users        int
	Applications int
	Keys         int
	// Charts are the hourly counts of each kind (internal/tally), in
	// tally.Kinds' order.
	Charts []eventChart
}

// eventChart is one kind's chart and its table.
type eventChart struct {
	Kind  string // tally kind: the ids of the chart's heading and table
	Title string // "Failed logins"
	Bars  []hourCount
	Max   int64 // the largest hour's count
	Total int64 // over the charted hours
}

// hourCount is one bar of a chart.
type hourCount struct {
	Hour  string // "15:00" UTC, the start of the hour
	Count int64
	// X and Height place the bar in the chart's 480x120 box.
	X, Height int
}

// chartTitles name the kinds on the page.
var chartTitles = map[string]string{
	tally.Login: "Logins", tally.Failure: "Failed logins", tally.Refresh: "Refreshes",
	tally.Reuse: "Refresh-token reuse detections", tally.Lockout: "Lockouts",
}

// eventCharts reads the last chartHours hours of counts (one indexed range
// read) and lays out one chart per kind.
func (s *Server) eventCharts(r *http.Request) ([]eventChart, error) {
	end := s.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-chartHours * time.Hour)
	rows, err := s.Store.ListEventCounts(r.Context(), start, end)
	if err != nil {
		return nil, err
	}
	counts := map[string][]int64{}
	for _, k := range tally.Kinds {
		counts[k] = make([]int64, chartHours)
	}
	for _, c := range rows {
		if v, ok := counts[c.Kind]; ok {
			v[int(c.Hour.Sub(start)/time.Hour)] += c.Count
		}
	}
	out := make([]eventChart, 0, len(tally.Kinds))
	for _, k := range tally.Kinds {
		c := eventChart{Kind: k, Title: chartTitles[k], Bars: make([]hourCount, chartHours)}
		for i, n := range counts[k] {
			c.Bars[i] = hourCount{Hour: start.Add(time.Duration(i) * time.Hour).Format("15:04"), Count: n, X: i * 20}
			c.Max, c.Total = max(c.Max, n), c.Total+n
		}
		for i := range c.Bars {
			if c.Max > 0 {
				c.Bars[i].Height = int(c.Bars[i].Count * 110 / c.Max)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// consoleHome serves GET /admin/: the counts the console manages, the
// security events of the last day, and where to go from here.
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
		d.Charts, err = s.eventCharts(r)
	}
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderConsolePage(w, r, http.StatusOK, "home", consolePage{Title: "Dashboard", Nav: "home", Data: d})
}
