package openapi_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/latchkeyhq/latchkey/internal/openapi"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the fragments")

// TestDocumentIsValidOpenAPI31: the assembled description loads and passes
// kin-openapi's validation as an OpenAPI 3.1 document (every $ref resolves,
// schemas are JSON Schema 2020-12, operation ids are unique).
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// TestDocsCopyIsCurrent: docs/openapi.json is the assembled document, byte
// for byte (go test ./internal/openapi -update rewrites it).
func TestDocsCopyIsCurrent(t *testing.T) {
	const path = "../../docs/openapi.json"
	if *update {
		if err := os.WriteFile(path, openapi.Document(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, openapi.Document()) {
		t.Fatal("docs/openapi.json differs from the fragments: run go test ./internal/openapi -update")
	}
}

// TestAssembleRefusesDuplicates: two fragments that define the same
// operation or component (two branches adding the same endpoint) do not
// assemble, instead of one silently replacing the other.
func TestAssembleRefusesDuplicates(t *testing.T) {
	base := &fstest.MapFile{Data: []byte(`{"openapi":"3.1.0","paths":{},"components":{"schemas":{"A":{}}}}`)}
	for name, frags := range map[string][2]string{
		"operation":      {`{"paths":{"/x":{"get":{}}}}`, `{"paths":{"/x":{"get":{}}}}`},
		"component":      {`{"paths":{},"components":{"schemas":{"B":{}}}}`, `{"paths":{},"components":{"schemas":{"B":{}}}}`},
		"base component": {`{"paths":{},"components":{"schemas":{"A":{}}}}`, `{"paths":{}}`},
		"unknown key":    {`{"paths":{},"info":{}}`, `{"paths":{}}`},
	} {
		fsys := fstest.MapFS{"base.json": base, "paths/a.json": {Data: []byte(frags[0])}, "paths/b.json": {Data: []byte(frags[1])}}
		if _, err := openapi.Assemble(fsys); err == nil {
			t.Errorf("%s: assembled", name)
		}
	}
	fsys := fstest.MapFS{"base.json": base, "paths/a.json": {Data: []byte(`{"paths":{"/x":{"get":{}}}}`)}, "paths/b.json": {Data: []byte(`{"paths":{"/x":{"post":{}}}}`)}}
	if _, err := openapi.Assemble(fsys); err != nil {
		t.Errorf("two methods of one path in two files: %v", err)
	}
}
