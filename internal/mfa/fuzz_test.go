package mfa

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
)

// FuzzWebAuthnParse: whatever a browser (or an attacker) sends as a
// credential, parsing either succeeds or fails with a *manage.Invalid (the
// HTTP layer's 400 with a field error); it never panics and never fails
// with another error, which would be a 500.
func FuzzWebAuthnParse(f *testing.F) {
	a := passkeytest.New()
	f.Add([]byte(a.Create("example.test", "Y2hhbGxlbmdl", "https://example.test", []byte("user"))))
	f.Add([]byte(a.Get("example.test", "Y2hhbGxlbmdl", "https://example.test")))
	for _, s := range []string{`null`, `{}`, `[]`, `{"id":"","rawId":"","type":"public-key","response":{}}`,
		`{"id":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oWNmbXRkbm9uZQ"}}`,
		`{"id":"AA","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0","authenticatorData":"AAAA","signature":"AA","userHandle":"AA"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func(json.RawMessage) error{
			func(m json.RawMessage) error { _, err := parseCreation(m); return err },
			func(m json.RawMessage) error { _, err := parseAssertion(m); return err },
		} {
			err := parse(b)
			var inv *manage.Invalid
			if err != nil && !errors.As(err, &inv) {
				t.Fatalf("parse error is not a 400: %T %v", err, err)
			}
			if inv != nil && (len(inv.Problems) == 0 || len(inv.Problems[0].Message) > 400) {
				t.Fatalf("400 without a clear, bounded message: %+v", inv.Problems)
			}
		}
	})
}
