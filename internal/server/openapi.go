package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/openapi"
)

// openAPI handles GET /api/openapi.json: the OpenAPI 3.1 description of
// every route of this table, assembled from internal/openapi at build time
// (docs/openapi.json holds the same bytes).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapi.Document())
}
