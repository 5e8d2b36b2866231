package server

import (
	"net/http"
	"slices"
	"strings"
)

// pathIndex knows which paths the route table names literally, so that a
// request whose path names one of them with a method it does not offer is
// answered as such (405, or 404 under it) rather than by a wildcard row
// that happens to match: without it GET /api/user/forgot-password is
// GET /api/user/{id}, a 401 without a key and a misleading
// [couldNotConvert]userId with one.
type pathIndex struct {
	literal map[string]bool     // every path prefix whose last segment is literal in some row
	methods map[string][]string // literal paths -> the methods their rows offer
	wild    map[string][]int    // patterns with wildcards -> the wildcards' segment positions
}

// notServed are FusionAuth API paths latchkey does not serve that a
// wildcard row would take: listed as literal paths without methods, each
// answers 404 [NotFound] for every method, with or without a key, like any
// path no row serves (docs/compatibility.md), rather than as, say, POST
// /api/user/{userId} (a 401, or [couldNotConvert]userId).
// compat/ts TestFusionAuthClientPathsAreNotIDs finds any the TypeScript
// client calls that are missing here.
var notServed = []string{
	"/api/identity-provider/start", // startIdentityProviderLogin: HYPR and SAML v2 only (docs/compatibility.md)
}

// indexPaths builds the index of rs.
func indexPaths(rs []route) *pathIndex {
	ix := &pathIndex{literal: map[string]bool{}, methods: map[string][]string{}, wild: map[string][]int{}}
	for _, p := range notServed {
		ix.literal[p] = true
	}
	for _, rt := range rs {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method, path = "", rt.pattern
		}
		segs := strings.Split(strings.Trim(path, "/"), "/")
		for i, seg := range segs {
			if isWildcard(seg) {
				ix.wild[rt.pattern] = append(ix.wild[rt.pattern], i)
				continue
			}
			ix.literal["/"+strings.Join(segs[:i+1], "/")] = true
		}
		if ix.wild[rt.pattern] == nil && method != "" && !slices.Contains(ix.methods[path], method) {
			ix.methods[path] = append(ix.methods[path], method)
		}
	}
	return ix
}

func isWildcard(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// shadowed reports whether the request path, matched to pattern, puts a
// literal path of another row where pattern has a wildcard; allow lists the
// methods of that exact path, if the table has it. It runs on every
// request: a pattern without wildcards (login, refresh, validate) costs one
// map lookup, and the path's prefixes are slices of it, not new strings.
func (ix *pathIndex) shadowed(pattern, path string) (allow []string, ok bool) {
	wild := ix.wild[pattern]
	if len(wild) == 0 {
		return nil, false
	}
	// The mux serves clean paths ("/a/b/c"): segment i ends at the (i+2)th
	// slash or at the end.
	seg, w := 0, 0
	for j := 1; j <= len(path) && w < len(wild); j++ {
		if j < len(path) && path[j] != '/' {
			continue
		}
		if seg == wild[w] {
			if ix.literal[path[:j]] {
				return ix.methods[path], true
			}
			w++
		}
		seg++
	}
	return nil, false
}

// writeUnknownPath answers a request for a path or method the route table
// does not serve, with FusionAuth's error body: 405 and Allow when the path
// exists with other methods, else 404.
func writeUnknownPath(w http.ResponseWriter, r *http.Request, allow []string) {
	var e Errors
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		e.General("MethodNotAllowed", "The method ["+r.Method+"] is not allowed on ["+truncate(r.URL.Path, 128)+"]. Allowed: "+strings.Join(allow, ", ")+".")
		writeErrors(w, http.StatusMethodNotAllowed, &e)
		return
	}
	e.General("NotFound", "There is no API at ["+truncate(r.URL.Path, 128)+"].")
	writeErrors(w, http.StatusNotFound, &e)
}
