package server

import "net/http"

// RouteForTest is what the external tests may know of a route-table row.
type RouteForTest struct {
	Pattern string
	Body    int64
	HTML    bool
	Global  bool
}

// RoutesForTest lists the route table for tests that walk it through the
// real App.
func (s *Server) RoutesForTest() []RouteForTest {
	var out []RouteForTest
	for _, rt := range s.routes() {
		out = append(out, RouteForTest{Pattern: rt.pattern, Body: rt.body, HTML: rt.html, Global: rt.global})
	}
	return out
}

// WriteInternalForTest answers err as an /api/* route answers an error no
// other case claims (writeInternal).
func (s *Server) WriteInternalForTest(w http.ResponseWriter, r *http.Request, err error) {
	s.writeInternal(w, r, err)
}
