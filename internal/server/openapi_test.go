package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/openapi"
)

// TestOpenAPICoversRouteTable: every row of the route table that names a
// method has an operation in the OpenAPI description, and every operation
// of the description is a row: adding an endpoint without describing it
// (or describing one that does not exist) fails here. The method-less rows
// only answer 405 and are not operations. ServeMux's {name} wildcards are
// OpenAPI's path templates as they stand.
func TestOpenAPICoversRouteTable(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				described[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	routed := map[string]bool{}
	for _, rt := range (&Server{}).routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			continue // a method-less 405 row
		}
		if strings.Contains(path, "...}") {
			t.Errorf("%s: a {name...} wildcard has no OpenAPI path template; describe it and extend this test", rt.pattern)
		}
		// {$} only anchors the mux's match: the path ends with its "/".
		routed[method+" "+strings.TrimSuffix(path, "{$}")] = true
	}
	var missing, extra []string
	for k := range routed {
		if !described[k] {
			missing = append(missing, k)
		}
	}
	for k := range described {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s has no OpenAPI operation: add it to its family's file in internal/openapi/paths/ (CONTRIBUTING.md)", k)
	}
	for _, k := range extra {
		t.Errorf("OpenAPI operation %s has no route", k)
	}
}

// TestOpenAPIServed: GET /api/openapi.json serves the assembled document to
// any origin.
func TestOpenAPIServed(t *testing.T) {
	h := (&Server{Logger: slog.New(slog.DiscardHandler)}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), openapi.Document()) || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("%d %q, %d bytes", rec.Code, rec.Header(), rec.Body.Len())
	}
}
