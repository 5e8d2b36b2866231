package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// hiddenSecret is a PATCH endpoint whose stored record holds a secret its
// GET never shows: the SMTP password of a tenant, the Basic
// authentication password of a webhook. (Every other PATCH endpoint's GET
// shows all its record holds: a user's password hash is never in its
// JSON at all, and an application's, identity provider's or entity's
// client secret is shown by its GET as FusionAuth does.)
type hiddenSecret struct {
	name, path string
	secret     string
	pointer    string // the secret's JSON Pointer in the PUT request
	data       string // a JSON Pointer to an object the patch may write into
	keep       string // a patch that names another member of the record
	stored     func(s *stack) string
}

func hiddenSecrets(t *testing.T, s *stack) []hiddenSecret {
	res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"data":{"owner":"ops"},"emailConfiguration":{
		"host":"smtp.example.test","port":587,"security":"TLS","username":"mailer","password":"smtp-s3cret",
		"defaultFromEmail":"no-reply@example.test"}}}`})
	if res.status != 200 || strings.Contains(string(res.body), "smtp-s3cret") {
		t.Fatalf("tenant: %d %s", res.status, res.body)
	}
	const hookID = "0f1a2b3c-0000-4000-8000-0000000000f1"
	res = s.do(call{method: "POST", path: "/api/webhook/" + hookID, hdr: admin, body: `{"webhook":{"url":"https://hooks.example.test/latchkey",
		"connectTimeout":1000,"readTimeout":2000,"global":true,"eventsEnabled":{"user.create":true},
		"httpAuthenticationUsername":"hook","httpAuthenticationPassword":"hook-s3cret","data":{"owner":"ops"}}}`})
	if res.status != 200 || strings.Contains(string(res.body), "hook-s3cret") {
		t.Fatalf("webhook: %d %s", res.status, res.body)
	}
	return []hiddenSecret{
		{name: "tenant SMTP password", path: "/api/tenant/" + tenantID, secret: "smtp-s3cret",
			pointer: "/tenant/emailConfiguration/password", data: "/tenant/data",
			keep: `[{"op":"replace","path":"/tenant/emailConfiguration/port","value":2525}]`,
			stored: func(s *stack) string {
				tn, err := s.Store.GetTenant(t.Context(), tenantID)
				must(t, err)
				return tn.EmailConfiguration.Password
			}},
		{name: "webhook password", path: "/api/webhook/" + hookID, secret: "hook-s3cret",
			pointer: "/webhook/httpAuthenticationPassword", data: "/webhook/data",
			keep: `[{"op":"replace","path":"/webhook/readTimeout","value":3000}]`,
			stored: func(s *stack) string {
				w, err := s.Store.GetWebhook(t.Context(), hookID)
				must(t, err)
				return w.HTTPAuthenticationPassword
			}},
	}
}

// TestJSONPatchCannotReadWhatGETHides: an RFC 6902 patch applies to the
// record as its GET shows it, so a copy or move of a stored secret GET
// hides (the tenant's SMTP password, a webhook's password) finds nothing
// to read: neither the answer nor the stored record ever holds it, a test
// guessing it answers the same right or wrong, and a test of the whole
// document against GET's body passes. A patch that does not name the
// secret keeps it in storage, as a PUT leaving it out does.
func TestJSONPatchCannotReadWhatGETHides(t *testing.T) {
	s := newStack(t)
	for _, h := range hiddenSecrets(t, s) {
		t.Run(h.name, func(t *testing.T) {
			get := func() string {
				t.Helper()
				res := s.api("GET", h.path, nil)
				if res.status != 200 || strings.Contains(string(res.body), h.secret) {
					t.Fatalf("GET: %d %s", res.status, res.body)
				}
				return string(res.body)
			}
			before := get()
			for _, op := range []string{"copy", "move"} {
				res := s.jsonPatch(h.path, `[{"op":"`+op+`","from":"`+h.pointer+`","path":"`+h.data+`/leak"}]`)
				if strings.Contains(string(res.body), h.secret) || res.status == 200 {
					t.Fatalf("%s of the secret answered %d %s", op, res.status, res.body)
				}
				if after := get(); after != before {
					t.Fatalf("%s of the secret changed the record: %s", op, after)
				}
				if got := h.stored(s); got != h.secret {
					t.Fatalf("after a %s the stored secret is %q", op, got)
				}
			}
			right := s.jsonPatch(h.path, `[{"op":"test","path":"`+h.pointer+`","value":"`+h.secret+`"}]`)
			wrong := s.jsonPatch(h.path, `[{"op":"test","path":"`+h.pointer+`","value":"not-it"}]`)
			if right.status != wrong.status || strings.ReplaceAll(string(right.body), h.secret, "not-it") != string(wrong.body) {
				t.Fatalf("a test tells a right guess (%d %s) from a wrong one (%d %s)", right.status, right.body, wrong.status, wrong.body)
			}
			if right.status == 200 {
				t.Fatalf("a test of the hidden secret passed: %s", right.body)
			}
			var whole map[string]any
			must(t, json.Unmarshal([]byte(before), &whole))
			if res := s.jsonPatch(h.path, []any{map[string]any{"op": "test", "path": "", "value": whole}}); res.status != 200 {
				t.Fatalf("the patched document is not what GET shows: %d %.400s", res.status, res.body)
			}
			if res := s.jsonPatch(h.path, h.keep); res.status != 200 || strings.Contains(string(res.body), h.secret) {
				t.Fatalf("a patch not naming the secret: %d %s", res.status, res.body)
			}
			if got := h.stored(s); got != h.secret {
				t.Fatalf("a patch not naming the secret left %q stored, want it kept", got)
			}
		})
	}
}
