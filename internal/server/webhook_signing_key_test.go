package server_test

import (
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// TestWebhookSignatureKeepsTheNamedKeysAlgorithm: a webhook signing with an
// RS256 key keeps getting RS256 signatures after that key is rotated out,
// retired and dropped from the JWKS (its successor signs), never ES256,
// which a receiver that pins RS256 would refuse. The signature is checked
// as such a receiver would: RS256 only, with the key the JWKS publishes
// under the header's kid, over the exact body.
func TestWebhookSignatureKeepsTheNamedKeysAlgorithm(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents)
	rec := newReceiver(t)
	named := activeKID(t, s, "RS256")
	res := s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: webhookBody(rec.srv.URL, []string{events.UserCreate},
		`,"signatureConfiguration":{"enabled":true,"signingKeyId":"`+named+`"}`)})
	wantStatus(t, res, 200)

	rotated := s.do(call{method: "POST", path: "/api/key/rotate", hdr: admin, body: `{"algorithm":"RS256"}`})
	wantStatus(t, rotated, 200)
	var key struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
	}
	must(t, json.Unmarshal(rotated.body, &key))
	// Far past the successor's activation and the named key's retirement.
	s.Clock.Advance(72 * time.Hour)
	if published := s.do(call{method: "GET", path: "/.well-known/jwks.json"}); jwksHas(t, published.body, named) {
		t.Fatalf("the rotated-out key %s is still published after its retirement", named)
	}

	wantStatus(t, s.do(call{method: "POST", path: "/api/user/" + bobID, hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"a long enough password"}}`}), 200)
	d := rec.waitFor(events.UserCreate, 1)[0]
	sig, err := jose.ParseSignedCompact(d.header.Get(events.SignatureHeader), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("the delivery is not signed RS256 as its webhook's key: %v (%s)", err, d.header.Get(events.SignatureHeader))
	}
	if kid := sig.Signatures[0].Header.KeyID; kid != key.Key.ID {
		t.Fatalf("signed by %q, want the RS256 successor %q", kid, key.Key.ID)
	}
	verifySignature(t, s, d)
}

// jwksHas reports whether the JWKS document body publishes kid.
func jwksHas(t *testing.T, body []byte, kid string) bool {
	t.Helper()
	var set jose.JSONWebKeySet
	must(t, json.Unmarshal(body, &set))
	return len(set.Key(kid)) > 0
}
