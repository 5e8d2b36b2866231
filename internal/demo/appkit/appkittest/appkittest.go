package appkittest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit"
	"github.com/latchkeyhq/latchkey/jwtverify"
	"github.com/latchkeyhq/latchkey/jwtverify/strictjwt"
)

// Issuer is the identity server the test tokens name.
const Issuer = "https://login.example.test"

// Signer mints tokens the way latchkey does (ES256, kid, iss, aud = app id).
type Signer struct {
	key *ecdsa.PrivateKey
	kid string
}

// NewSigner makes a signer with a fresh key under kid.
func NewSigner(t testing.TB, kid string) Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{k, kid}
}

// Token is a JWT for sub with audience aud expiring at exp; email is
// sub@example.com.
func (s Signer) Token(t testing.TB, sub, aud string, exp time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": Issuer, "sub": sub, "aud": aud, "applicationId": aud, "email": sub + "@example.com",
		"iat": exp.Add(-time.Minute).Unix(), "exp": exp.Unix(), "roles": []string{}}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err == nil {
		// As latchkey does: s ≤ n/2, the one form jwtverify accepts.
		tok, err = strictjwt.CanonicalES256(tok)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Config is an application's config for a test: a database in t.TempDir()
// and a real jwtverify.Verifier for audience appID that fetches a test JWKS
// publishing only trusted's key. IdentityURL ends in a slash, which the
// application must trim.
func Config(t testing.TB, trusted Signer, appID string) appkit.Config {
	t.Helper()
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &trusted.key.PublicKey, KeyID: trusted.kid, Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(jwks.Close)
	v, err := jwtverify.New(context.Background(), jwtverify.Config{Issuer: Issuer, JWKSURL: jwks.URL, Audience: appID})
	if err != nil {
		t.Fatal(err)
	}
	return appkit.Config{DBPath: filepath.Join(t.TempDir(), "app.db"), IdentityURL: Issuer + "/", ApplicationID: appID, Verifier: v}
}

// Serve serves app until the test ends, then closes the server and app.
func Serve(t testing.TB, app interface {
	http.Handler
	Close() error
}) *httptest.Server {
	t.Helper()
	t.Cleanup(func() { app.Close() })
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
}

// Call sends method path with an optional bearer token and body, and returns
// the status, headers and the body decoded as a JSON object (nil if it is
// not one).
func Call(t testing.TB, srv *httptest.Server, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, res.Header, m
}

// List GETs path, fails the test unless it answers 200, and returns field of
// each object in the answer's array key (e.g. the "sku" of each "items").
func List(t testing.TB, srv *httptest.Server, path, token, key, field string) []string {
	t.Helper()
	status, _, body := Call(t, srv, "GET", path, token, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d %v", path, status, body)
	}
	var out []string
	for _, v := range body[key].([]any) {
		out = append(out, v.(map[string]any)[field].(string))
	}
	return out
}
