package server

import (
	"net/http"
	"strings"
	"time"
)

// importTimeout bounds one POST /api/user/import: a batch of up to
// maxImportBody (about 200,000 users) in one transaction. At the usual
// 10,000 users a batch takes seconds; on a loaded host, or on SQLite while
// other writers queue, tens of seconds, which the default 15 s request
// deadline and the HTTP server's 30 s write timeout turned into a 503 or a
// dropped connection for a batch the database would have taken. Imported
// hashes are stored, not computed, so no hashing-gate slot is held.
const importTimeout = 10 * time.Minute

// longRoute is a route with a deadline of its own (route.timeout).
type longRoute struct {
	timeout time.Duration
}

// indexLongRoutes maps "METHOD /literal/path" of each route with a timeout
// to its timeout.
func indexLongRoutes(rs []route) map[string]longRoute {
	out := map[string]longRoute{}
	for _, rt := range rs {
		if rt.timeout <= 0 {
			continue
		}
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok || strings.Contains(path, "{") {
			panic("server: a route timeout needs a method and a literal path: " + rt.pattern)
		}
		out[method+" "+path] = longRoute{timeout: rt.timeout}
	}
	return out
}

// requestTimeout is the deadline of r's work: Config.RequestTimeout (or its
// default), or the route's own when longer. A route with its own deadline
// also gets the HTTP server's read and write deadlines moved to it, so the
// body can be read and the answer written for as long as the work may take.
func (s *Server) requestTimeout(w http.ResponseWriter, r *http.Request) time.Duration {
	timeout := s.Config.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if l, ok := s.longRoutes[r.Method+" "+r.URL.Path]; ok && l.timeout > timeout {
		timeout = l.timeout
		rc := http.NewResponseController(w)
		at := time.Now().Add(timeout)
		_ = rc.SetReadDeadline(at) // not every ResponseWriter supports it; the default then stands
		_ = rc.SetWriteDeadline(at)
	}
	return timeout
}
