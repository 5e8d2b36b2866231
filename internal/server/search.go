package server

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// searchRequest is POST /api/user/search's body.
type searchRequest struct {
	Search struct {
		IDs             []string           `json:"ids"`
		QueryString     string             `json:"queryString"`
		Query           string             `json:"query"`
		SortFields      []manage.SortField `json:"sortFields"`
		StartRow        int                `json:"startRow"`
		NumberOfResults int                `json:"numberOfResults"`
		AccurateTotal   bool               `json:"accurateTotal"`
	} `json:"search"`
}

// searchUsers handles GET and POST /api/user/search (users.mdx "Search for
// Users", the database engine): ids (repeated query parameters) for a bulk
// retrieve, or queryString with sortFields, startRow and numberOfResults.
// Answers {"total":n,"users":[...]}.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	var q manage.SearchQuery
	if r.Method == http.MethodPost {
		var req searchRequest
		if !s.decodeJSON(w, r, &req, false) {
			return
		}
		in := req.Search
		q = manage.SearchQuery{IDs: in.IDs, QueryString: in.QueryString, Query: in.Query, SortFields: in.SortFields,
			StartRow: in.StartRow, NumberOfResults: in.NumberOfResults, AccurateTotal: in.AccurateTotal}
	} else {
		var ok bool
		if q, ok = searchQueryParams(w, r); !ok {
			return
		}
	}
	res, err := s.Manage.Search.Search(r.Context(), scope(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// searchQueryParams reads GET /api/user/search's parameters; a number that
// is not one is a 400 naming it.
func searchQueryParams(w http.ResponseWriter, r *http.Request) (manage.SearchQuery, bool) {
	q := manage.SearchQuery{QueryString: queryValue(r, "queryString"), Query: queryValue(r, "query")}
	var ok bool
	if q.AccurateTotal, ok = queryFlag(w, r, "accurateTotal"); !ok {
		return q, false
	}
	for _, id := range r.URL.Query()["ids"] {
		if id != "" && id != "undefined" && id != "null" {
			q.IDs = append(q.IDs, id)
		}
	}
	if q.StartRow, ok = queryInt(w, r, "startRow"); !ok {
		return q, false
	}
	if q.NumberOfResults, ok = queryInt(w, r, "numberOfResults"); !ok {
		return q, false
	}
	q.SortFields, ok = sortFieldParams(w, r)
	return q, ok
}

// sortFieldRE is FusionAuth's indexed list parameter sortFields[i].name /
// .order (.missing is Elasticsearch's and ignored).
var sortFieldRE = regexp.MustCompile(`^sortFields\[([0-9])\]\.(name|order|missing)$`)

func sortFieldParams(w http.ResponseWriter, r *http.Request) ([]manage.SortField, bool) {
	var out []manage.SortField
	for key, vals := range r.URL.Query() {
		m := sortFieldRE.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		for len(out) <= i {
			out = append(out, manage.SortField{})
		}
		switch m[2] {
		case "name":
			out[i].Name = vals[0]
		case "order":
			out[i].Order = vals[0]
		}
	}
	for i, f := range out {
		if f.Name == "" {
			writeFieldError(w, "blank", "search.sortFields["+strconv.Itoa(i)+"].name", "Every sort field needs a [name].")
			return nil, false
		}
	}
	return out, true
}

// queryInt reads an optional integer query parameter (0 when absent).
func queryInt(w http.ResponseWriter, r *http.Request, name string) (int, bool) {
	v := queryValue(r, name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		writeFieldError(w, "invalid", name, "The ["+name+"] parameter must be a whole number.")
		return 0, false
	}
	return n, true
}

// queryInt64 reads an optional instant (ms) query parameter.
func queryInt64(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v := queryValue(r, name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		writeFieldError(w, "invalid", name, "The ["+name+"] parameter must be a whole number (ms since the epoch).")
		return 0, false
	}
	return n, true
}

// readSearch reads a search request: a POST's JSON body into body, or a
// GET's query parameters into search (the "search" object body holds), each
// parameter named as the object's field (FusionAuth's GET forms,
// e.g. applications.mdx "Search for Applications"), so both forms reach the
// use case as one request. A number that is not one is 400 [invalid]<name>,
// as queryInt answers. On false the answer is written.
func (s *Server) readSearch(w http.ResponseWriter, r *http.Request, body, search any) bool {
	if r.Method == http.MethodPost {
		return s.decodeJSON(w, r, body, false)
	}
	return queryInto(w, r, reflect.ValueOf(search).Elem())
}

// queryInto sets v's string and whole-number fields (and those of its
// embedded structs) from the query parameters their JSON names name.
func queryInto(w http.ResponseWriter, r *http.Request, v reflect.Value) bool {
	for i := 0; i < v.NumField(); i++ {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Anonymous && f.Kind() == reflect.Struct {
			if !queryInto(w, r, f) {
				return false
			}
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(queryValue(r, name))
		case reflect.Int:
			n, ok := queryInt(w, r, name)
			if !ok {
				return false
			}
			f.SetInt(int64(n))
		case reflect.Int64:
			n, ok := queryInt64(w, r, name)
			if !ok {
				return false
			}
			f.SetInt(n)
		}
	}
	return true
}
