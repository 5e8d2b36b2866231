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

// Exact-JSON golden files pin the FusionAuth-compatible responses: the
// management API under testdata/management (status and body), the token
// endpoints under testdata/token (body). `go test -update` rewrites them.

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares v, encoded as indented JSON, with testdata/<name>.json, or
// rewrites the file with -update. It is the one golden helper; the callers
// below only normalise what differs between runs.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".json")
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, got, 0o644))
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

// managementGolden pins a management response: its status and normalised
// body (empty bodies as null).
func managementGolden(t *testing.T, name string, status int, body []byte) {
	t.Helper()
	var parsed any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &parsed); err != nil {
			t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
		}
	}
	golden(t, "management/"+name, map[string]any{"status": status, "body": normalizeManagement(parsed, "")})
}

// tokenGolden pins a token endpoint's normalised body (tokens, ids and
// instants replaced by their names).
func tokenGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("golden %s: body %q: %v", name, body, err)
	}
	golden(t, "token/"+name, normalizeToken("", v))
}

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// normalizeManagement replaces what differs between runs (ids, instants, secrets, the
// issuer's port) so the rest of a response can be pinned exactly.
func normalizeManagement(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeManagement(x, k)
		}
		return v
	case []any:
		for i := range v {
			v[i] = normalizeManagement(v[i], key)
		}
		return v
	case string:
		switch key {
		case "clientSecret", "key", "changePasswordId", "verificationId", "oneTimePassword", "oneTimeCode":
			if v == manage.Redacted {
				return v // the audit log's stand-in, pinned as is
			}
			return "<secret>"
		case "token", "refreshToken":
			return "<token>"
		case "issuer":
			return "<issuer>"
		case "publicKey":
			return "<public key>"
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

var volatile = map[string]bool{"token": true, "refreshToken": true, "refreshTokenId": true, "access_token": true,
	"refresh_token": true, "refresh_token_id": true, "id_token": true, "jti": true, "sid": true, "id": true, "kid": true,
	"x": true, "y": true, "n": true, "e": true, "publicKey": true, "iss": true,
	"changePasswordId": true, "change_password_id": true, "emailVerificationId": true, "oneTimePassword": true,
	"twoFactorTrustId": true, "twoFactorId": true, "two_factor_id": true}

func normalizeToken(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeToken(k, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeToken(key, e)
		}
		return x
	case string:
		if volatile[key] && x != "" {
			return "<" + key + ">"
		}
	case float64:
		if strings.HasSuffix(key, "Instant") || key == "exp" || key == "iat" || key == "auth_time" {
			return "<" + key + ">"
		}
	}
	return v
}
