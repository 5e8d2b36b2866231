package server_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// Exact golden files pin the FusionAuth-compatible responses: the management
// API under testdata/management (status and body), the token endpoints under
// testdata/token, delivered webhook events under testdata/events. The
// comparison is exact on the response's own member order: the body is
// re-indented token by token, never parsed into a map, so a reordered or
// duplicated member fails. Only the values listed in placeholders below are
// replaced. `go test -update` rewrites the files.

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// placeholders is the one list of what differs between runs and is replaced
// by a named placeholder; everything else in a golden file is compared
// byte for byte (after indentation).
type placeholders struct {
	// secrets maps a member name to the placeholder of its non-empty string
	// value (secrets, tokens, the issuer with its port, keys).
	secrets map[string]string
	// keyNamed replaces each listed member's non-empty string by "<name>".
	keyNamed map[string]bool
	// uuids replaces every UUID inside any string (except the default
	// tenant's fixed id, which shows that a body's tenantId was ignored).
	uuids bool
	// instants replaces numbers of members named *Instant (non-zero ones
	// when nonZeroInstants) and of the listed claims.
	instants        bool
	nonZeroInstants bool
	instantClaims   map[string]bool
	// instantName names the placeholder after the member ("<exp>") instead
	// of "<instant>".
	instantName bool
}

var (
	managementPlaceholders = placeholders{
		secrets: map[string]string{"clientSecret": "<secret>", "key": "<secret>", "changePasswordId": "<secret>",
			"verificationId": "<secret>", "oneTimePassword": "<secret>", "oneTimeCode": "<secret>",
			"token": "<token>", "refreshToken": "<token>", "issuer": "<issuer>", "publicKey": "<public key>",
			"connectionTestId": "<secret>"},
		uuids: true, instants: true, nonZeroInstants: true,
	}
	tokenPlaceholders = placeholders{
		keyNamed: setOf("token", "refreshToken", "refreshTokenId", "access_token", "refresh_token", "refresh_token_id",
			"id_token", "jti", "sid", "id", "kid", "x", "y", "n", "e", "publicKey", "iss", "changePasswordId",
			"change_password_id", "emailVerificationId", "oneTimePassword", "twoFactorTrustId", "twoFactorId", "two_factor_id", "trustToken"),
		instants: true, instantClaims: setOf("exp", "iat", "auth_time"), instantName: true,
	}
	webauthnPlaceholders = placeholders{keyNamed: setOf("challenge")}
	noPlaceholders       = placeholders{}
)

func setOf(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// scalar returns the token to write for a string or number token under the
// member key.
func (p placeholders) scalar(key string, tok jsontext.Token) jsontext.Token {
	switch tok.Kind() {
	case '"':
		s := tok.String()
		if s == "" {
			return tok
		}
		if ph, ok := p.secrets[key]; ok {
			if s == manage.Redacted {
				return tok // the audit log's stand-in, pinned as is
			}
			return jsontext.String(ph)
		}
		if p.keyNamed[key] {
			return jsontext.String("<" + key + ">")
		}
		if p.uuids {
			return jsontext.String(uuidRE.ReplaceAllStringFunc(s, func(id string) string {
				if id == manage.DefaultTenantID {
					return id
				}
				return "<uuid>"
			}))
		}
	case '0':
		if !(p.instants && strings.HasSuffix(key, "Instant")) && !p.instantClaims[key] {
			return tok
		}
		if p.nonZeroInstants && tok.Float() == 0 {
			return tok
		}
		if p.instantName {
			return jsontext.String("<" + key + ">")
		}
		return jsontext.String("<instant>")
	}
	return tok
}

// normalize re-encodes body indented, in its own member order, with the
// placeholders applied. Duplicate member names are an error (RFC 7493):
// clients disagree on which one wins.
func (p placeholders) normalize(enc *jsontext.Encoder, body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		name   bool // the next token in this object is a member name
		key    string
	}
	stack := []frame{{key: ""}}
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		top := &stack[len(stack)-1]
		if top.object && top.name && tok.Kind() == '"' {
			top.key, top.name = tok.String(), false
			if err := enc.WriteToken(tok); err != nil {
				return err
			}
			continue
		}
		switch tok.Kind() {
		case '{', '[':
			stack = append(stack, frame{object: tok.Kind() == '{', name: true, key: top.key})
		case '}', ']':
			stack = stack[:len(stack)-1]
		default:
			tok = p.scalar(top.key, tok)
		}
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
		if t := &stack[len(stack)-1]; t.object {
			t.name = true
		}
	}
}

// golden compares a response with testdata/<name>.json, or rewrites the file
// with -update. status is written first when it is not 0; an empty body is
// null. It is the one golden helper: the wrappers below only choose the
// folder and the placeholders.
func golden(t *testing.T, name string, p placeholders, status int, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	enc := jsontext.NewEncoder(&buf, jsontext.WithIndent("  "), jsontext.SpaceAfterColon(true))
	if status != 0 {
		must(t, enc.WriteToken(jsontext.BeginObject))
		must(t, enc.WriteToken(jsontext.String("status")))
		must(t, enc.WriteToken(jsontext.Int(int64(status))))
		must(t, enc.WriteToken(jsontext.String("body")))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		must(t, enc.WriteToken(jsontext.Null))
	} else if err := p.normalize(enc, body); err != nil {
		t.Fatalf("%s: the body is not I-JSON (RFC 7493; a duplicate member name?): %v\n%s", name, err, body)
	}
	if status != 0 {
		must(t, enc.WriteToken(jsontext.EndObject))
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
		t.Errorf("%s differs from %s (go test -update rewrites it; key order counts)\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// managementGolden pins a management response: its status and body.
func managementGolden(t *testing.T, name string, status int, body []byte) {
	t.Helper()
	golden(t, "management/"+name, managementPlaceholders, status, body)
}

// tokenGolden pins a token endpoint's body (tokens, ids and instants
// replaced by their member names).
func tokenGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	golden(t, "token/"+name, tokenPlaceholders, 0, body)
}
