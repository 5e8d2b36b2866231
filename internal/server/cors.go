package server

import "net/http"

// cors applies the system corsConfiguration plus each application's
// authorizedOriginURLs. Owned by the token lifecycle work.
func (s *Server) cors(next http.Handler) http.Handler { return next }
