package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// maxImportBody bounds POST /api/user/import: a request is one
// transaction held in memory, and `latchkey import` sends batches of a few
// megabytes. 64 MiB is about 200,000 users of the usual size.
const maxImportBody = 64 << 20

// importUsers handles POST /api/user/import (apis/users/import; TS
// importUsers): 200 with no body; 400 with fieldErrors keyed
// users[i].field for bad records, nothing of the request written; 400
// [ImportRequestFailed] when, without validateDbConstraints, a user clashes
// with a stored one (FusionAuth answers 500; latchkey never answers bad
// input with a 500).
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) {
	var req manage.ImportRequest
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	if err := s.Manage.Import.Run(r.Context(), scope(r), req); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeEmpty(w, http.StatusOK)
}
