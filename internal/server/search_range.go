package server

import "net/http"

// rangePage is what the audit-log, login-record and webhook-event-log
// searches share: an instant range (ms since the epoch, inclusive; 0 leaves
// that end open) and a page. Inlined in each search's {"search":{...}}.
type rangePage struct {
	Start           int64 `json:"start"`
	End             int64 `json:"end"`
	StartRow        int   `json:"startRow"`
	NumberOfResults int   `json:"numberOfResults"`
}

// readRangeSearch reads a GET or POST search. POST: the JSON body into
// body, which holds rp. GET: fromQuery reads the search's own query
// parameters into it, then rp is read from start, end, startRow and
// numberOfResults, a number that is not one being a 400 naming it. On
// false the answer is written.
func (s *Server) readRangeSearch(w http.ResponseWriter, r *http.Request, body any, rp *rangePage, fromQuery func()) bool {
	if r.Method == http.MethodPost {
		return s.decodeJSON(w, r, body, false)
	}
	fromQuery()
	var ok bool
	if rp.Start, ok = queryInt64(w, r, "start"); !ok {
		return false
	}
	if rp.End, ok = queryInt64(w, r, "end"); !ok {
		return false
	}
	if rp.StartRow, ok = queryInt(w, r, "startRow"); !ok {
		return false
	}
	rp.NumberOfResults, ok = queryInt(w, r, "numberOfResults")
	return ok
}
