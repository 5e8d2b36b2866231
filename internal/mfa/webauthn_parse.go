package mfa

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/latchkeyhq/latchkey/internal/manage"
)

// Parsing what the browser sent. FusionAuth's request carries the
// credential without rawId (its id is the base64url credential id), so it
// is filled in before the library parses; every parse failure is a 400
// naming the field, never a 500 (FuzzWebAuthnParse).

// maxCredentialJSON bounds what is parsed (the route's body bound is the
// outer limit; an attestation with a certificate chain is a few KiB).
const maxCredentialJSON = 32 << 10

// withRawID returns credential with rawId set to id when it has none.
func withRawID(credential json.RawMessage) ([]byte, error) {
	if len(bytes.TrimSpace(credential)) == 0 || len(credential) > maxCredentialJSON {
		return nil, invalid("blank", "credential", "You must specify the [credential] property.")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(credential, &m); err != nil || m == nil {
		return nil, invalid("invalid", "credential", "The [credential] property is not a JSON object.")
	}
	if _, ok := m["rawId"]; !ok {
		m["rawId"] = m["id"]
	}
	return json.Marshal(m)
}

func parseCreation(credential json.RawMessage) (*protocol.ParsedCredentialCreationData, error) {
	b, err := withRawID(credential)
	if err != nil {
		return nil, err
	}
	p, err := protocol.ParseCredentialCreationResponseBytes(b)
	if err != nil {
		return nil, ceremonyError(err, "credential")
	}
	return p, nil
}

func parseAssertion(credential json.RawMessage) (*protocol.ParsedCredentialAssertionData, error) {
	b, err := withRawID(credential)
	if err != nil {
		return nil, err
	}
	p, err := protocol.ParseCredentialRequestResponseBytes(b)
	if err != nil {
		return nil, ceremonyError(err, "credential")
	}
	return p, nil
}

// ceremonyError turns the library's verdict into FusionAuth's 400: the
// field it concerns and the library's explanation (never a key or a
// secret: the library describes the check that failed).
func ceremonyError(err error, field string) error {
	var pe *protocol.Error
	msg := err.Error()
	if errors.As(err, &pe) {
		msg = pe.Details
		if pe.DevInfo != "" {
			msg += ": " + pe.DevInfo
		}
		switch {
		case bytes.Contains([]byte(pe.DevInfo), []byte("origin")), bytes.Contains([]byte(pe.Details), []byte("origin")),
			bytes.Contains([]byte(pe.Details), []byte("Origin")):
			field = "origin"
		case bytes.Contains([]byte(pe.Details), []byte("RP")), bytes.Contains([]byte(pe.DevInfo), []byte("RP ID")):
			field = "rpId"
		}
	}
	inv := &manage.Invalid{}
	inv.Field("invalid", field, truncate(msg, 300))
	return inv
}

// coseAlgorithm is the COSE algorithm number of a COSE key (FusionAuth's
// credential.algorithm), 0 when it cannot be read.
func coseAlgorithm(key []byte) int {
	var k webauthncose.PublicKeyData
	if err := webauthncbor.Unmarshal(key, &k); err != nil {
		return 0
	}
	return int(k.Algorithm)
}
