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

// isFlag reads a boolean query flag such as hardDelete=true; the TypeScript
// client's "undefined"/"null" literals count as absent (queryValue).
func isFlag(r *http.Request, name string) bool { return strings.EqualFold(queryValue(r, name), "true") }
