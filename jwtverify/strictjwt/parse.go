package strictjwt

import (
	"crypto"
	"encoding/base64"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxTokenLength caps a compact token before it is split or decoded: the
// go-jose, golang-jwt and x/oauth2 CVEs of 2025 (CVE-2025-27144 and friends)
// were all allocation blow-ups in strings.Split on attacker-sized input.
// Our access tokens are well under 2 KiB; 8 KiB leaves room for large claims.
const MaxTokenLength = 8 << 10

// maxKIDLength bounds the kid we are willing to look up (a UUID is 36).
const maxKIDLength = 128

// Header is the validated protected header of a token.
type Header struct {
	Alg string
	Kid string
	Typ string
}

// allowedHeaders is an allow-list, not a deny-list: jku, x5u, jwk and x5c
// (RFC 8725 §3.10: keys from the token are attacker input), crit (RFC 7515
// §4.1.11: we understand no extension), b64 (RFC 7797), zip and enc (JWE) and
// anything not yet invented are refused rather than ignored. gty is
// FusionAuth's grant-type header (fusionauth-api.md §5.1).
var allowedHeaders = map[string]bool{"alg": true, "typ": true, "kid": true, "gty": true}

var b64 = base64.RawURLEncoding.Strict()

// ParseHeader checks the size and shape of a compact JWS and returns its
// header, before any key is looked up. algs is the caller's allow-list.
func ParseHeader(token string, algs []string) (Header, error) {
	if len(token) > MaxTokenLength {
		return Header{}, ErrTooLarge
	}
	// Exactly three segments: JWE (five) and JSON serialization are refused.
	if strings.Count(token, ".") != 2 {
		return Header{}, ErrMalformed
	}
	rawHeader, _, _ := strings.Cut(token, ".")
	hb, err := b64.DecodeString(rawHeader)
	if err != nil {
		return Header{}, ErrMalformed
	}
	// json v2 defaults reject duplicate member names and invalid UTF-8, so
	// {"alg":"ES256","alg":"none"} cannot mean two things (RFC 8725 §3.7).
	var members map[string]jsontext.Value
	if err := json.Unmarshal(hb, &members); err != nil || members == nil {
		return Header{}, ErrMalformed
	}
	for name := range members {
		if !allowedHeaders[name] {
			return Header{}, ErrForbiddenHeader
		}
	}
	var h Header
	if err := stringMember(members, "alg", &h.Alg); err != nil {
		return Header{}, err
	}
	if h.Alg == "" || !slices.Contains(algs, h.Alg) {
		return Header{}, ErrAlgorithm
	}
	if err := stringMember(members, "kid", &h.Kid); err != nil {
		return Header{}, err
	}
	if !validKID(h.Kid) {
		return Header{}, ErrUnknownKey
	}
	if _, ok := members["typ"]; ok {
		if err := stringMember(members, "typ", &h.Typ); err != nil {
			return Header{}, err
		}
		// typ is a media type, so compared case-insensitively (RFC 7515
		// §4.1.9); FusionAuth access tokens carry "JWT".
		if !strings.EqualFold(h.Typ, "JWT") {
			return Header{}, ErrType
		}
	}
	return h, nil
}

func stringMember(m map[string]jsontext.Value, name string, out *string) error {
	v, ok := m[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(v, out); err != nil || v.Kind() != '"' {
		return ErrMalformed
	}
	return nil
}

// validKID accepts the characters key ids are made of (UUIDs, thumbprints,
// FusionAuth ids) and nothing that could mean something to a file system,
// SQL or a log line: no '/', '\\', quotes, '%', NUL or control characters.
func validKID(kid string) bool {
	if kid == "" || len(kid) > maxKIDLength {
		return false
	}
	for _, c := range []byte(kid) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '~':
		default:
			return false
		}
	}
	return true
}

// VerifySignature checks the signature with key, which the caller selected
// by kid and whose algorithm it already compared with h.Alg, and decodes the
// claims strictly. The signature is checked before any claim, so a token
// that is both expired and forged reports ErrSignature (CVE-2024-51744).
//
// Only one spelling of a signed token is accepted (ErrNonCanonical
// otherwise): every segment in strict base64, and an ES256 signature with
// s ≤ n/2, the form latchkey signs (CanonicalES256). So a token accepted
// here is byte-for-byte the token its issuer produced.
func VerifySignature(token string, h Header, key crypto.PublicKey) (map[string]any, error) {
	claims, sig, err := verify(token, h, key)
	if err != nil {
		return nil, err
	}
	if h.Alg == "ES256" && !lowS(sig) {
		return nil, ErrNonCanonical
	}
	return claims, nil
}

// VerifySignatureAnyS is VerifySignature for a JWS from a signer latchkey
// does not control, identified by its content rather than its bytes: a DPoP
// proof, whose identity is its key and jti (RFC 9449 §11.1). It accepts an
// ES256 signature with either s or n−s, because WebCrypto and most JOSE
// libraries do not normalise s and RFC 7518 §3.4 does not ask them to;
// refusing high s would refuse every other proof of such clients. Base64
// must still be strict.
func VerifySignatureAnyS(token string, h Header, key crypto.PublicKey) (map[string]any, error) {
	claims, _, err := verify(token, h, key)
	return claims, err
}

func verify(token string, h Header, key crypto.PublicKey) (map[string]any, []byte, error) {
	sig, err := strictSegments(token)
	if err != nil {
		return nil, nil, err
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Alg)})
	if err != nil {
		return nil, nil, ErrMalformed
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, nil, ErrSignature
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, nil, ErrMalformed
	}
	return claims, sig, nil
}
