package keys

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	m, st, _ := newManager(t)
	ctx := context.Background()
	for _, tt := range []struct{ alg, want string }{{"", ES256}, {ES256, ES256}, {RS256, RS256}} {
		t.Run("alg="+tt.alg, func(t *testing.T) {
			tok, err := m.Sign(ctx, tt.alg, m.testClaims())
			if err != nil {
				t.Fatal(err)
			}
			hb, _ := enc.DecodeString(strings.Split(tok, ".")[0])
			var h map[string]any
			if err := json.Unmarshal(hb, &h); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"alg": tt.want, "typ": "JWT", "kid": activeKey(t, st, tt.want).ID}
			if fmt.Sprint(h) != fmt.Sprint(want) {
				t.Fatalf("header = %v, want %v", h, want)
			}
			claims, err := m.Verify(ctx, tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if claims["sub"] != "u1" || claims["aud"] != "app" {
				t.Fatalf("claims = %v", claims)
			}
		})
	}
	if _, err := m.Sign(ctx, "HS256", m.testClaims()); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Sign(HS256) err = %v, want ErrNoActiveKey", err)
	}
}

// TestVerifyRejects is the JWT attack catalogue (security-bar.md §3, J1-J12)
// against Verify. Every hostile token is signed with our real key where the
// attack needs a valid signature, so only the rule under test can refuse it.
func TestVerifyRejects(t *testing.T) {
	m, st, clk := newManager(t)
	ctx := context.Background()
	ec, rs := activeKey(t, st, ES256), activeKey(t, st, RS256)
	ecPriv, rsPriv := privateKey(t, ec), privateKey(t, rs)
	now := clk.Now().Unix()
	body := fmt.Sprintf(`{"sub":"u1","iss":%q,"exp":%d}`, testIssuer, now+300)
	hdr := func(alg, kid, extra string) string {
		return fmt.Sprintf(`{"alg":%q,"kid":%q,"typ":"JWT"%s}`, alg, kid, extra)
	}
	good := forge(t, ecPriv, hdr(ES256, ec.ID, ""), body)
	if _, err := m.Verify(ctx, good); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
	parts := strings.Split(good, ".")
	hs256 := func(secret []byte) string {
		in := enc.EncodeToString([]byte(hdr("HS256", rs.ID, ""))) + "." + enc.EncodeToString([]byte(body))
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(in))
		return in + "." + enc.EncodeToString(mac.Sum(nil))
	}
	der, _ := pem.Decode([]byte(rs.PublicKeyPEM))
	jwks, _ := m.JWKS(ctx)
	jwkJSON, _ := json.Marshal(jwks.Keys[0])
	rawPayload := func(p string) string { return forge(t, ecPriv, hdr(ES256, ec.ID, ""), p) }
	bitFlip, _ := enc.DecodeString(parts[2])
	bitFlip[10] ^= 0x01
	derSig := func() string { // ASN.1 DER instead of raw R||S (RFC 7518 §3.4)
		raw, _ := enc.DecodeString(parts[2])
		d := append([]byte{0x30, 0x44, 0x02, 0x20}, raw[:32]...)
		d = append(append(d, 0x02, 0x20), raw[32:]...)
		return parts[0] + "." + parts[1] + "." + enc.EncodeToString(d)
	}()
	_, other, _ := newManager(t)
	foreign := forge(t, privateKey(t, activeKey(t, other, ES256)), hdr(ES256, ec.ID, ""), body)
	expiredForged := forge(t, privateKey(t, activeKey(t, other, ES256)), hdr(ES256, ec.ID, ""),
		fmt.Sprintf(`{"iss":%q,"exp":%d}`, testIssuer, now-100))

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", parts[0][:0] + enc.EncodeToString([]byte(`{"alg":"none","kid":"`+ec.ID+`"}`)) + "." + parts[1] + ".", ErrAlgorithm},
		{"alg None", enc.EncodeToString([]byte(`{"alg":"None","kid":"`+ec.ID+`"}`)) + "." + parts[1] + "." + parts[2], ErrAlgorithm},
		{"alg nOnE no sig segment", enc.EncodeToString([]byte(`{"alg":"nOnE"}`)) + "." + parts[1], ErrMalformed},
		{"alg missing", forge(t, ecPriv, `{"kid":"`+ec.ID+`"}`, body), ErrAlgorithm},
		{"HS256 with public PEM", hs256([]byte(rs.PublicKeyPEM)), ErrAlgorithm},
		{"HS256 with PEM no newline", hs256([]byte(strings.TrimSpace(rs.PublicKeyPEM))), ErrAlgorithm},
		{"HS256 with DER", hs256(der.Bytes), ErrAlgorithm},
		{"HS256 with JWK", hs256(jwkJSON), ErrAlgorithm},
		{"ES256 header on RSA kid", forge(t, ecPriv, hdr(ES256, rs.ID, ""), body), ErrAlgorithm},
		{"RS256 header on EC kid", forge(t, rsPriv, hdr(RS256, ec.ID, ""), body), ErrAlgorithm},
		{"kid traversal", forge(t, ecPriv, hdr(ES256, "../../../../dev/null", ""), body), ErrUnknownKey},
		{"kid SQL", forge(t, ecPriv, hdr(ES256, "' OR '1'='1", ""), body), ErrUnknownKey},
		{"kid NUL", forge(t, ecPriv, `{"alg":"ES256","kid":"`+ec.ID+`\u0000"}`, body), ErrUnknownKey},
		{"kid 10KB", forge(t, ecPriv, hdr(ES256, strings.Repeat("a", 10<<10), ""), body), ErrTooLarge},
		{"kid 200 bytes", forge(t, ecPriv, hdr(ES256, strings.Repeat("a", 200), ""), body), ErrUnknownKey},
		{"kid unknown", forge(t, ecPriv, hdr(ES256, "00000000-0000-0000-0000-000000000000", ""), body), ErrUnknownKey},
		{"kid missing", forge(t, ecPriv, `{"alg":"ES256"}`, body), ErrUnknownKey},
		{"kid number", forge(t, ecPriv, `{"alg":"ES256","kid":7}`, body), ErrMalformed},
		{"jku", forge(t, ecPriv, hdr(ES256, ec.ID, `,"jku":"http://127.0.0.1:1/jwks"`), body), ErrForbiddenHeader},
		{"x5u", forge(t, ecPriv, hdr(ES256, ec.ID, `,"x5u":"http://127.0.0.1:1/c"`), body), ErrForbiddenHeader},
		{"jwk", forge(t, ecPriv, hdr(ES256, ec.ID, `,"jwk":`+string(jwkJSON)), body), ErrForbiddenHeader},
		{"x5c", forge(t, ecPriv, hdr(ES256, ec.ID, `,"x5c":["MIIB"]`), body), ErrForbiddenHeader},
		{"crit", forge(t, ecPriv, hdr(ES256, ec.ID, `,"crit":["exp"]`), body), ErrForbiddenHeader},
		{"typ at+jwt", forge(t, ecPriv, `{"alg":"ES256","kid":"`+ec.ID+`","typ":"at+jwt"}`, body), ErrType},
		{"typ number", forge(t, ecPriv, `{"alg":"ES256","kid":"`+ec.ID+`","typ":1}`, body), ErrMalformed},
		{"duplicate alg", forge(t, ecPriv, `{"alg":"ES256","alg":"none","kid":"`+ec.ID+`"}`, body), ErrMalformed},
		{"header not object", forge(t, ecPriv, `["ES256"]`, body), ErrMalformed},
		{"duplicate sub", rawPayload(fmt.Sprintf(`{"sub":"u1","sub":"admin","exp":%d,"iss":%q}`, now+300, testIssuer)), ErrMalformed},
		{"case-variant AUD", rawPayload(fmt.Sprintf(`{"AUD":"b","exp":%d,"iss":%q}`, now+300, testIssuer)), ErrMalformed},
		{"case-variant Exp only", rawPayload(fmt.Sprintf(`{"Exp":%d,"iss":%q}`, now+300, testIssuer)), ErrMalformed},
		{"invalid UTF-8 claim", rawPayload("{\"sub\":\"\xff\",\"exp\":" + fmt.Sprint(now+300) + "}"), ErrMalformed},
		{"trailing garbage in claims", rawPayload(body + "x"), ErrMalformed},
		{"exp missing", rawPayload(fmt.Sprintf(`{"iss":%q}`, testIssuer)), ErrMissingExp},
		{"exp string", rawPayload(fmt.Sprintf(`{"iss":%q,"exp":"%d"}`, testIssuer, now+300)), ErrMalformed},
		{"exp now", rawPayload(fmt.Sprintf(`{"iss":%q,"exp":%d}`, testIssuer, now)), ErrExpired},
		{"nbf future", rawPayload(fmt.Sprintf(`{"iss":%q,"exp":%d,"nbf":%d}`, testIssuer, now+300, now+1)), ErrNotYetValid},
		{"iss other", rawPayload(fmt.Sprintf(`{"iss":"https://evil.test","exp":%d}`, now+300)), ErrIssuer},
		{"iss trailing slash", rawPayload(fmt.Sprintf(`{"iss":%q,"exp":%d}`, testIssuer+"/", now+300)), ErrIssuer},
		{"iss case", rawPayload(fmt.Sprintf(`{"iss":%q,"exp":%d}`, strings.ToUpper(testIssuer), now+300)), ErrIssuer},
		{"iss http", rawPayload(fmt.Sprintf(`{"iss":"http://login.example.test","exp":%d}`, now+300)), ErrIssuer},
		{"iss missing", rawPayload(fmt.Sprintf(`{"exp":%d}`, now+300)), ErrIssuer},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ErrSignature},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:40], ErrSignature},
		{"signature bit-flipped", parts[0] + "." + parts[1] + "." + enc.EncodeToString(bitFlip), ErrSignature},
		{"signature of other key", foreign, ErrSignature},
		{"signature DER-encoded", derSig, ErrSignature},
		{"signature r=s=0", parts[0] + "." + parts[1] + "." + enc.EncodeToString(make([]byte, 64)), ErrSignature},
		{"expired and forged says signature", expiredForged, ErrSignature},
		{"payload swapped", parts[0] + "." + enc.EncodeToString([]byte(`{"sub":"admin","exp":9999999999}`)) + "." + parts[2], ErrSignature},
		{"base64 padding", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed},
		{"JWE five segments", good + ".a.b", ErrMalformed},
		{"1 MB", "eyJ" + strings.Repeat("A", 1<<20), ErrTooLarge},
		{"100k dots", strings.Repeat(".", 100000), ErrTooLarge},
		{"empty", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := st.lists.Load()
			claims, err := m.Verify(ctx, tt.token)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidToken) || claims != nil {
				t.Fatalf("Verify = %v, %v; want %v", claims, err, tt.want)
			}
			// Hostile input never reaches storage except the one rate-limited
			// unknown-kid reload, which the first unknown kid already spent.
			if n := st.lists.Load() - before; n > 1 {
				t.Fatalf("%d storage loads for one token", n)
			}
		})
	}
	if _, err := m.Verify(ctx, good); err != nil {
		t.Fatalf("control token rejected after the attacks: %v", err)
	}
}

func TestPublicKeyShapes(t *testing.T) {
	m, st, _ := newManager(t)
	ctx := context.Background()
	set, err := m.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(set)
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{ES256: {"alg", "crv", "kid", "kty", "use", "x", "y"}, RS256: {"alg", "e", "kid", "kty", "n", "use"}}
	if len(doc.Keys) != 2 {
		t.Fatalf("JWKS has %d keys: %s", len(doc.Keys), raw)
	}
	for _, k := range doc.Keys {
		alg, _ := k["alg"].(string)
		t.Run("jwks "+alg, func(t *testing.T) {
			var names []string
			for n := range k {
				names = append(names, n)
			}
			if fmt.Sprint(sortStrings(names)) != fmt.Sprint(want[alg]) || k["use"] != "sig" || k["kid"] != activeKey(t, st, alg).ID {
				t.Fatalf("JWK = %v (no private members, kid of the active key expected)", k)
			}
		})
	}
	pems, err := m.PublicKeyPEMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range Algorithms {
		t.Run("pem "+alg, func(t *testing.T) {
			k := activeKey(t, st, alg)
			b, _ := pem.Decode([]byte(pems[k.ID]))
			if b == nil || b.Type != "PUBLIC KEY" {
				t.Fatalf("PEM for %s = %q", k.ID, pems[k.ID])
			}
			if _, err := x509.ParsePKIXPublicKey(b.Bytes); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}
