// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options latchkey sends with attestations ("none" or
// "packed" self attestation) and assertions signed by a P-256 key, built
// byte by byte as WebAuthn Level 2 §6.1 and §6.5 lay them out, so the
// server side is checked against an independent encoder. The browser test
// uses Chromium's own virtual authenticator instead.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator holds one credential.
type Authenticator struct {
	Key          *ecdsa.PrivateKey
	CredentialID []byte
	UserHandle   []byte
	SignCount    uint32
	// Flags: user present (0x01) and verified (0x04) by default.
	UV bool
	// Format is the attestation format: "none" (default) or "packed".
	Format string
}

// New makes an authenticator with a fresh key and credential id.
func New() *Authenticator {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &Authenticator{Key: k, CredentialID: id, UV: true, Format: "none"}
}

var b64 = base64.RawURLEncoding

// ClientData is collectedClientData (WebAuthn §5.8.1).
func ClientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) flags(attested bool) byte {
	f := byte(0x01)
	if a.UV {
		f |= 0x04
	}
	if attested {
		f |= 0x40
	}
	return f
}

// coseKey is the credential's public key as a COSE_Key (RFC 9053 EC2).
func (a *Authenticator) coseKey() []byte {
	raw, _ := a.Key.PublicKey.Bytes() // 0x04 ‖ X ‖ Y (SEC 1 uncompressed)
	x, y := raw[1:33], raw[33:65]
	b, _ := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	return b
}

// authData builds authenticator data for rpID.
func (a *Authenticator) authData(rpID string, attested bool) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], a.flags(attested))
	out = binary.BigEndian.AppendUint32(out, a.SignCount)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: zeros
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.CredentialID)))
		out = append(out, a.CredentialID...)
		out = append(out, a.coseKey()...)
	}
	return out
}

func (a *Authenticator) sign(authData, clientData []byte) []byte {
	h := sha256.Sum256(clientData)
	d := sha256.Sum256(append(append([]byte(nil), authData...), h[:]...))
	sig, _ := ecdsa.SignASN1(rand.Reader, a.Key, d[:])
	return sig
}

// Create answers creation options: the credential JSON FusionAuth's
// register/complete takes (no rawId, as FusionAuth's clients send it).
func (a *Authenticator) Create(rpID, challenge, origin string, userHandle []byte) json.RawMessage {
	a.UserHandle = userHandle
	cd := ClientData("webauthn.create", challenge, origin)
	ad := a.authData(rpID, true)
	stmt := map[string]any{}
	if a.Format == "packed" {
		stmt = map[string]any{"alg": -7, "sig": a.sign(ad, cd)}
	}
	att, _ := webauthncbor.Marshal(map[string]any{"fmt": a.Format, "attStmt": stmt, "authData": ad})
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(a.CredentialID), "type": "public-key",
		"clientExtensionResults": map[string]any{"credProps": map[string]any{"rk": true}},
		"response": map[string]any{"attestationObject": b64.EncodeToString(att), "clientDataJSON": b64.EncodeToString(cd),
			"transports": []string{"internal"}}})
	return b
}

// Get answers request options with an assertion; the counter grows first,
// as a real authenticator's does.
func (a *Authenticator) Get(rpID, challenge, origin string) json.RawMessage {
	a.SignCount++
	cd := ClientData("webauthn.get", challenge, origin)
	ad := a.authData(rpID, false)
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(a.CredentialID), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"authenticatorData": b64.EncodeToString(ad), "clientDataJSON": b64.EncodeToString(cd),
			"signature": b64.EncodeToString(a.sign(ad, cd)), "userHandle": b64.EncodeToString(a.UserHandle)}})
	return b
}
