package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// DefaultWindow is how far a proof's iat may be from the verifier's clock
// either way (RFC 9449 §4.3 check 11 leaves it to the server; §11.1 suggests
// seconds to minutes). Replay entries are kept for as long.
const DefaultWindow = 60 * time.Second

// The only RSA keys a proof may carry: e = 65537, 2048 to 4096 bits.
const (
	rsaExponent = 65537
	minRSABits  = 2048
	maxRSABits  = 4096
)

// MaxProofLength caps a proof before any decoding. An RSA-4096 jwk plus
// claims stays well under it.
const MaxProofLength = 4 << 10

const maxJTILength = 256

// Algorithms a proof may be signed with. Only asymmetric algorithms make
// sense (RFC 9449 §4.3 check 5); we accept the two latchkey also signs with.
var Algorithms = []string{"ES256", "RS256"}

// ProofCheck is the request a proof must match.
type ProofCheck struct {
	Method string // the HTTP method, compared exactly (htm)
	// URL is the request's absolute target URI; query and fragment are
	// ignored and both sides are normalised (RFC 9449 §4.3 check 9).
	URL string
	// AccessToken, when not empty, must be hashed into ath (RFC 9449 §4.3
	// check 12); empty at the token endpoint.
	AccessToken string
	Now         time.Time     // required: the verifier's clock
	Window      time.Duration // iat tolerance; 0 means DefaultWindow
	// Replay records jti values; nil uses the process-wide Default cache.
	Replay *ReplayCache
}

// Proof is a verified proof.
type Proof struct {
	JKT      string // RFC 7638 SHA-256 thumbprint of the key, base64url
	JTI      string
	IssuedAt time.Time
	Key      jose.JSONWebKey // the public key that signed it
}

// VerifyProof checks proof against p (RFC 9449 §4.3, in that order: shape,
// typ, alg, key, signature, then claims) and records its jti. A proof that
// fails any check is not recorded, so it cannot block a later genuine one.
func VerifyProof(proof string, p ProofCheck) (Proof, error) {
	if proof == "" || len(proof) > MaxProofLength || strings.Count(proof, ".") != 2 {
		return Proof{}, ErrMalformed
	}
	alg, key, err := parseHeader(proof)
	if err != nil {
		return Proof{}, err
	}
	// Either ECDSA s is accepted (clients do not normalise it); the two
	// spellings share jkt and jti, so the replay cache treats them as one.
	claims, err := strictjwt.VerifySignatureAnyS(proof, strictjwt.Header{Alg: alg}, key.Key)
	if err != nil {
		if err == strictjwt.ErrSignature {
			return Proof{}, ErrSignature
		}
		return Proof{}, ErrMalformed
	}
	jkt, err := Thumbprint(key)
	if err != nil {
		return Proof{}, ErrKey
	}
	out := Proof{JKT: jkt, Key: key}
	if err := checkClaims(claims, p, &out); err != nil {
		return Proof{}, err
	}
	window := p.Window
	if window <= 0 {
		window = DefaultWindow
	}
	cache := p.Replay
	if cache == nil {
		cache = Default
	}
	// Keyed by thumbprint too, so one client's jti cannot collide with
	// (and so deny) another's.
	if !cache.Add(jkt+" "+out.JTI, out.IssuedAt.Add(window), p.Now) {
		return Proof{}, ErrReplay
	}
	return out, nil
}

// parseHeader decodes the protected header strictly (duplicate members are
// refused by json v2) and returns the algorithm and the public jwk.
func parseHeader(proof string) (string, jose.JSONWebKey, error) {
	rawHeader, _, _ := strings.Cut(proof, ".")
	hb, err := base64.RawURLEncoding.Strict().DecodeString(rawHeader)
	if err != nil {
		return "", jose.JSONWebKey{}, ErrMalformed
	}
	var h map[string]jsontext.Value
	if err := json.Unmarshal(hb, &h); err != nil || h == nil {
		return "", jose.JSONWebKey{}, ErrMalformed
	}
	for name := range h {
		// An allow-list: jku, x5u, x5c, kid, crit... have no place in a proof.
		if name != "typ" && name != "alg" && name != "jwk" {
			return "", jose.JSONWebKey{}, ErrHeader
		}
	}
	var typ, alg string
	if json.Unmarshal(h["typ"], &typ) != nil || !strings.EqualFold(typ, "dpop+jwt") {
		return "", jose.JSONWebKey{}, ErrType
	}
	if json.Unmarshal(h["alg"], &alg) != nil || (alg != "ES256" && alg != "RS256") {
		return "", jose.JSONWebKey{}, ErrAlgorithm
	}
	key, err := publicJWK(h["jwk"], alg)
	if err != nil {
		return "", jose.JSONWebKey{}, err
	}
	return alg, key, nil
}

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). RFC 9449 §4.2: the jwk "MUST NOT
// contain a private key"; one that does is refused, not silently stripped.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

func publicJWK(raw jsontext.Value, alg string) (jose.JSONWebKey, error) {
	var members map[string]jsontext.Value
	if len(raw) == 0 || json.Unmarshal(raw, &members) != nil || members == nil {
		return jose.JSONWebKey{}, ErrKey
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return jose.JSONWebKey{}, ErrKey
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil || !k.IsPublic() {
		return jose.JSONWebKey{}, ErrKey
	}
	// The key type must fit the algorithm (RFC 8725 §3.1), and be strong
	// enough: P-256 for ES256, RSA of at least 2048 bits for RS256. The
	// proof is checked before any authentication, so an RSA key must also
	// be cheap to verify with: the exponent exactly 65537 (what every
	// library generates; verification cost grows with the exponent's bits,
	// and e = 2^31-1 has 31 of them, all set) and the modulus at most 4096
	// bits (cost grows with its square).
	switch pk := k.Key.(type) {
	case *ecdsa.PublicKey:
		if alg != "ES256" || pk.Curve != elliptic.P256() {
			return jose.JSONWebKey{}, ErrKey
		}
	case *rsa.PublicKey:
		if bits := pk.N.BitLen(); alg != "RS256" || pk.E != rsaExponent || bits < minRSABits || bits > maxRSABits {
			return jose.JSONWebKey{}, ErrKey
		}
	default:
		return jose.JSONWebKey{}, ErrKey
	}
	return k, nil
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of k, base64url without
// padding: the jkt of RFC 9449 §6.1.
func Thumbprint(k jose.JSONWebKey) (string, error) {
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// AccessTokenHash is the ath claim for token: base64url(SHA-256(token))
// (RFC 9449 §4.2).
func AccessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func checkClaims(c map[string]any, p ProofCheck, out *Proof) error {
	jti, _ := c["jti"].(string)
	if jti == "" || len(jti) > maxJTILength {
		return ErrJTI
	}
	out.JTI = jti
	if htm, _ := c["htm"].(string); htm == "" || htm != p.Method {
		return ErrMethod
	}
	htu, _ := c["htu"].(string)
	want, ok1 := NormalizeURL(p.URL)
	got, ok2 := NormalizeURL(htu)
	if !ok1 || !ok2 || got != want {
		return ErrURL
	}
	iat, ok := c["iat"].(float64)
	if !ok || iat < 0 || iat > 1e12 {
		return ErrIssuedAt
	}
	window := p.Window
	if window <= 0 {
		window = DefaultWindow
	}
	out.IssuedAt = time.Unix(int64(iat), 0)
	if d := p.Now.Sub(out.IssuedAt); d > window || d < -window {
		return ErrIssuedAt
	}
	if p.AccessToken != "" {
		ath, _ := c["ath"].(string)
		want := AccessTokenHash(p.AccessToken)
		if subtle.ConstantTimeCompare([]byte(ath), []byte(want)) != 1 {
			return ErrAccessToken
		}
	}
	return nil
}
