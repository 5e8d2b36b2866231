package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// nameSearch is the search object of the searches by name alone (email
// templates, consents): FusionAuth's name pattern and its paging.
type nameSearch struct {
	Name            string `json:"name"`
	OrderBy         string `json:"orderBy"`
	StartRow        int    `json:"startRow"`
	NumberOfResults int    `json:"numberOfResults"`
}

// searchApplications handles POST /api/application/search and its GET form
// (the same fields as query parameters) (applications.mdx "Search for
// Applications", TS searchApplications):
// {"search":{"name":"*store*","state":"Active","tenantId":…,"orderBy":"name ASC",
// "startRow":0,"numberOfResults":25}} answers {"applications":[...],"total":n},
// each application as GET /api/application answers it.
func (s *Server) searchApplications(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search struct {
			Name            string `json:"name"`
			State           string `json:"state"`
			TenantID        string `json:"tenantId"`
			OrderBy         string `json:"orderBy"`
			StartRow        int    `json:"startRow"`
			NumberOfResults int    `json:"numberOfResults"`
		} `json:"search"`
	}
	if !s.readSearch(w, r, &req, &req.Search) {
		return
	}
	in := req.Search
	page, total, err := s.Manage.Applications.Search(r.Context(), scope(r), manage.ApplicationSearch{Name: in.Name,
		State: in.State, TenantID: in.TenantID, OrderBy: in.OrderBy, StartRow: in.StartRow, NumberOfResults: in.NumberOfResults})
	s.answer(w, r, err, map[string]any{"applications": page, "total": total})
}

// searchEmailTemplates handles POST /api/email/template/search and its GET
// form (emails.mdx "Search for Email Templates", TS searchEmailTemplates):
// {"search":{"name":"*welcome*","orderBy":"name ASC","startRow":0,
// "numberOfResults":25}} answers {"emailTemplates":[...],"total":n}.
func (s *Server) searchEmailTemplates(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search nameSearch `json:"search"`
	}
	if !s.readSearch(w, r, &req, &req.Search) {
		return
	}
	in := req.Search
	page, total, err := s.Manage.EmailTemplates.Search(r.Context(), manage.EmailTemplateSearch{Name: in.Name,
		OrderBy: in.OrderBy, StartRow: in.StartRow, NumberOfResults: in.NumberOfResults})
	s.answer(w, r, err, map[string]any{"emailTemplates": page, "total": total})
}
