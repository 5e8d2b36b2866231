package server

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// pathID reads a UUID path segment. A non-UUID answers 400
// [couldNotConvert]<field>, as FusionAuth does when it cannot convert the URL
// segment to a UUID.
func pathID(w http.ResponseWriter, r *http.Request, name, field string) (string, bool) {
	v := r.PathValue(name)
	if !validUUID(v) {
		writeFieldError(w, "couldNotConvert", field, "Invalid ["+field+"] on the URL ["+truncate(v, 64)+"]. It must be a UUID.")
		return "", false
	}
	return strings.ToLower(v), true
}

// optionalPathID is pathID for a create whose id may be in the path: "" when
// it is not (the use case generates one).
func optionalPathID(w http.ResponseWriter, r *http.Request, name, field string) (string, bool) {
	if r.PathValue(name) == "" {
		return "", true
	}
	return pathID(w, r, name, field)
}

// optionalID is pathID's rule for an id read from the body or the query:
// absent ("") passes; anything else that is not a UUID answers 400
// [couldNotConvert]<field>, as FusionAuth does when it cannot convert a
// request's UUID field, rather than reading as "no such user" (404) or as
// absent.
func optionalID(w http.ResponseWriter, field, v string) bool {
	if v != "" && !validUUID(v) {
		writeFieldError(w, "couldNotConvert", field, "Invalid ["+field+"] ["+truncate(v, 64)+"]. It must be a UUID.")
		return false
	}
	return true
}

// validUUID reports whether v is a UUID in FusionAuth's canonical form.
func validUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	_, err := uuid.Parse(v)
	return err == nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// queryValue returns an optional query parameter, treating the TypeScript
// client's literal "undefined" and "null" (and empty) as absent
// (fusionauth-api.md §0.3).
func queryValue(r *http.Request, name string) string {
	v := r.URL.Query().Get(name)
	switch v {
	case "undefined", "null":
		return ""
	}
	return v
}

// queryBool reads an optional boolean query parameter: nil when absent
// (the TypeScript client's "undefined"/"null" literals count as absent,
// queryValue), else true or false in any case. Anything else answers 400
// [couldNotConvert]<name>, as a UUID that is not one does (pathID): read as
// false, hardDelete=yes would quietly soft-delete and active=maybe list
// nothing.
func queryBool(w http.ResponseWriter, r *http.Request, name string) (*bool, bool) {
	v := queryValue(r, name)
	switch {
	case v == "":
		return nil, true
	case strings.EqualFold(v, "true"), strings.EqualFold(v, "false"):
		b := strings.EqualFold(v, "true")
		return &b, true
	}
	writeFieldError(w, "couldNotConvert", name, "Invalid ["+name+"] ["+truncate(v, 64)+"]. It must be true or false.")
	return nil, false
}

// queryFlag is queryBool for a flag such as hardDelete=true: absent is
// false.
func queryFlag(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	b, ok := queryBool(w, r, name)
	return b != nil && *b, ok
}
