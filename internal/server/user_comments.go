package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// addUserComment handles POST /api/user/comment (user-comments.mdx "Add a
// Comment to a User"): {"userComment":{comment, commenterId, userId}} ->
// {"userComment":{..., id, insertInstant}}.
func (s *Server) addUserComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserComment manage.UserComment `json:"userComment"`
	}
	if !s.decodeJSON(w, r, &req, false) {
		return
	}
	c, err := s.Manage.Comments.Add(r.Context(), scope(r), req.UserComment)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"userComment": c})
}

// listUserComments handles GET /api/user/comment/{userId}
// (user-comments.mdx "Retrieve a User's Comments"): {"userComments":[...]},
// oldest first; 404 for an unknown user.
func (s *Server) listUserComments(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "userId", "userId")
	if !ok {
		return
	}
	cs, err := s.Manage.Comments.List(r.Context(), scope(r), userID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"userComments": cs})
}

// searchUserComments handles POST /api/user/comment/search and its GET
// form (user-comments.mdx "Search for User Comments"): comment, commenterId,
// tenantId, userId, orderBy, startRow, numberOfResults;
// {"total":n,"userComments":[...]}.
func (s *Server) searchUserComments(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Search manage.UserCommentQuery `json:"search"`
	}
	if !s.readSearch(w, r, &req, &req.Search) {
		return
	}
	cs, total, err := s.Manage.Comments.Search(r.Context(), scope(r), req.Search)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "userComments": cs})
}
