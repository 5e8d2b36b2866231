package server_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/management")

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// normalize replaces what differs between runs (ids, instants, secrets, the
// issuer's port) so the rest of a response can be pinned exactly.
func normalize(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x, k)
		}
		return v
	case []any:
		for i := range v {
			v[i] = normalize(v[i], key)
		}
		return v
	case string:
		switch key {
		case "clientSecret", "key":
			return "<secret>"
		case "token", "refreshToken":
			return "<token>"
		case "issuer":
			return "<issuer>"
		}
		// The default tenant's id is fixed; keeping it shows that a body's
		// tenantId was ignored.
		return uuidRE.ReplaceAllStringFunc(v, func(id string) string {
			if id == manage.DefaultTenantID {
				return id
			}
			return "<uuid>"
		})
	case float64:
		if strings.HasSuffix(key, "Instant") && v != 0 {
			return "<instant>"
		}
	}
	return v
}

// golden compares a response with testdata/management/<name>.json (status
// and normalised body), or rewrites the file with -update.
func golden(t *testing.T, name string, status int, body []byte) {
	t.Helper()
	var parsed any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &parsed); err != nil {
			t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"status": status, "body": normalize(parsed, "")}); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "management", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}
