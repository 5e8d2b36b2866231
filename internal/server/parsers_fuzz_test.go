package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// This file holds fuzz targets for the parsers of request headers and path
// segments an attacker controls. Each asserts an invariant a user relies
// on, not only "no panic".

const fuzzKey = "fuzz-api-key-0123456789abcdef0123456789"

// FuzzAuthorizationHeader: whatever the Authorization header, a management
// route runs only for the key itself (FusionAuth's Authorization: <key>,
// surrounding spaces ignored) or HTTP Basic apikey:<key>; a Bearer or DPoP
// credential, another user name, a prefix or extension of the key never
// authenticate, and every refusal is the same empty 401.
func FuzzAuthorizationHeader(f *testing.F) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, seed := range []string{fuzzKey, " " + fuzzKey + "\t", basic("apikey", fuzzKey), basic("admin", fuzzKey),
		"basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+fuzzKey)), "Bearer " + fuzzKey, "DPoP " + fuzzKey,
		fuzzKey[:20], fuzzKey + "x", "", "Basic", "Basic !!!", basic("apikey", fuzzKey+" ")} {
		f.Add(seed)
	}
	s, fs, _ := newUnitServer(f)
	if err := fs.CreateAPIKey(context.Background(), storage.APIKey{ID: "k", KeyHash: manage.HashAPIKey(fuzzKey)}); err != nil {
		f.Fatal(err)
	}
	reached := false
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) { reached = true })
	f.Fuzz(func(t *testing.T, header string) {
		reached = false
		req := httptest.NewRequest("GET", "/api/application", nil)
		req.Header.Set("Authorization", header)
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		user, pass, isBasic := req.BasicAuth()
		want := strings.TrimSpace(header) == fuzzKey || (isBasic && user == "apikey" && pass == fuzzKey)
		if reached != want {
			t.Fatalf("Authorization %q: handler reached %v, want %v", header, reached, want)
		}
		if !reached && (rec.Code != http.StatusUnauthorized || rec.Body.Len() != 0) {
			t.Fatalf("Authorization %q: refused with %d %q, want an empty 401", header, rec.Code, rec.Body)
		}
	})
}

// FuzzCORSOrigin: an Origin gets Access-Control-Allow-Origin only when it is
// byte for byte one of the configured origins (normalised), echoed exactly;
// credentials only for the origins that allow them; and a cookie-spending
// route runs for a browser request only from such an origin or this host.
func FuzzCORSOrigin(f *testing.F) {
	for _, seed := range []string{"https://store.example.test", "https://forums.example.test:8443", "https://admin.example.test",
		"https://public.example.test", "https://STORE.example.test", "https://store.example.test/", "null", "",
		"https://\u212aey.test", "https://store.example.test.evil.test", "http://store.example.test", "https://login.example.test"} {
		f.Add(seed)
	}
	s, fs, _ := newUnitServer(f)
	fs.putSystem(storage.SystemConfiguration{CORSConfiguration: storage.CORSConfiguration{Enabled: true, AllowCredentials: false,
		AllowedOrigins: []string{"https://public.example.test"}}})
	allowed := map[string]bool{"https://store.example.test": true, "https://forums.example.test:8443": true, "https://public.example.test": false}
	reached := false
	hdl := stubbed(s, func(w http.ResponseWriter, r *http.Request) { reached = true })
	f.Fuzz(func(t *testing.T, origin string) {
		req := httptest.NewRequest("GET", "/api/jwt/validate", nil)
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		cred, listed := allowed[origin]
		acao, acac := rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Credentials")
		if listed != (acao != "") || (listed && acao != origin) || (acac == "true") != (listed && cred) {
			t.Fatalf("Origin %q: ACAO %q ACAC %q; listed %v, credentials %v", origin, acao, acac, listed, cred)
		}
		reached = false
		req = httptest.NewRequest("POST", "/api/jwt/refresh", strings.NewReader("{}"))
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", "refresh_token=victim")
		hdl.ServeHTTP(httptest.NewRecorder(), req)
		if want := origin == "" || cred || origin == "https://login.example.test"; reached != want {
			t.Fatalf("Origin %q: refresh with the cookie ran %v, want %v", origin, reached, want)
		}
	})
}

// FuzzClientIP: the client address is the socket peer unless the peer is a
// trusted proxy; behind one it is the right-most X-Forwarded-For entry that
// is not itself a trusted proxy, every entry right of it being trusted, or
// the peer. A direct client can never choose its address.
func FuzzClientIP(f *testing.F) {
	for _, seed := range []string{"", "198.51.100.7", "198.51.100.7, 10.0.0.2", "1.2.3.4, 198.51.100.7", "garbage, 10.0.0.9",
		"::ffff:198.51.100.7", "10.0.0.1,10.0.0.2", " 2001:db8::1 ", "198.51.100.7,,"} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	trustedNet := netip.MustParsePrefix("10.0.0.0/8")
	s := &Server{Config: Config{TrustedProxies: []netip.Prefix{trustedNet}}}
	f.Fuzz(func(t *testing.T, xff string, viaProxy bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "203.0.113.9:5555"
		if viaProxy {
			r.RemoteAddr = "10.1.2.3:1234"
		}
		r.Header.Set("X-Forwarded-For", xff)
		got := s.clientIP(r)
		peer := strings.Split(r.RemoteAddr, ":")[0]
		if !viaProxy {
			if got != peer {
				t.Fatalf("direct client with X-Forwarded-For %q is %q, not its peer %s", xff, got, peer)
			}
			return
		}
		if got == peer {
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil || trustedNet.Contains(a) {
			t.Fatalf("X-Forwarded-For %q gave %q: not an untrusted address", xff, got)
		}
		parts := strings.Split(xff, ",")
		j := -1
		for i, p := range parts {
			if b, err := netip.ParseAddr(strings.TrimSpace(p)); err == nil && b.Unmap() == a {
				j = i
			}
		}
		if j < 0 {
			t.Fatalf("X-Forwarded-For %q gave %q, which it does not contain", xff, got)
		}
		for _, p := range parts[j+1:] {
			if b, err := netip.ParseAddr(strings.TrimSpace(p)); err != nil || !trustedNet.Contains(b.Unmap()) {
				t.Fatalf("X-Forwarded-For %q gave %q from behind an entry %q that is not a trusted proxy", xff, got, p)
			}
		}
	})
}

var canonicalUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// FuzzPathID: a path id is accepted exactly when it is a UUID in canonical
// form (any case), and comes back in lower case; anything else is 400
// [couldNotConvert] with FusionAuth's JSON body.
func FuzzPathID(f *testing.F) {
	for _, seed := range []string{"0f1a2b3c-0000-4000-8000-0000000000b1", "0F1A2B3C-0000-4000-8000-0000000000B1", "forgot-password",
		"{0f1a2b3c-0000-4000-8000-0000000000b1}", "0f1a2b3c00004000800000000000000b1", "urn:uuid:0f1a2b3c-0000-4000-8000-0000000000b1", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetPathValue("id", v)
		rec := httptest.NewRecorder()
		got, ok := pathID(rec, r, "id", "userId")
		if want := canonicalUUID.MatchString(strings.ToLower(v)); ok != want {
			t.Fatalf("path id %q accepted %v, want %v", v, ok, want)
		}
		if ok {
			if got != strings.ToLower(v) || rec.Body.Len() != 0 {
				t.Fatalf("path id %q read as %q", v, got)
			}
			return
		}
		var body struct {
			FieldErrors map[string][]struct{ Code string } `json:"fieldErrors"`
		}
		if rec.Code != 400 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.FieldErrors["userId"]) != 1 ||
			body.FieldErrors["userId"][0].Code != "[couldNotConvert]userId" {
			t.Fatalf("path id %q refused with %d %s", v, rec.Code, rec.Body)
		}
	})
}

// FuzzTenantHeader: X-FusionAuth-TenantId passes only when blank or naming
// (in any case, spaces trimmed) the tenant latchkey serves and, for a
// tenant-scoped key, that key's tenant; a refusal is an empty 401 for a key
// used outside its tenant or 400 [invalid]tenantId, nothing else.
func FuzzTenantHeader(f *testing.F) {
	for _, seed := range []string{"", " ", manage.DefaultTenantID, strings.ToUpper(manage.DefaultTenantID), " " + manage.DefaultTenantID + " ",
		"0f1a2b3c-0000-4000-8000-0000000000c9", "x", manage.DefaultTenantID + "x"} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(1))
		f.Add(seed, uint8(2))
	}
	keys := []storage.APIKey{{ID: "global"}, {ID: "scoped", TenantID: manage.DefaultTenantID}, {ID: "other", TenantID: "0f1a2b3c-0000-4000-8000-0000000000c9"}}
	f.Fuzz(func(t *testing.T, v string, which uint8) {
		k := keys[int(which)%len(keys)]
		r := withAPIKey(httptest.NewRequest("GET", "/", nil), k)
		r.Header.Set(tenantHeader, v)
		rec := httptest.NewRecorder()
		ok := checkTenantHeader(rec, r, apiKey("/api/user"))
		named := strings.TrimSpace(r.Header.Get(tenantHeader))
		if ok {
			if named != "" && (!strings.EqualFold(named, manage.DefaultTenantID) || (k.TenantID != "" && !strings.EqualFold(named, k.TenantID))) {
				t.Fatalf("header %q passed for key %s", v, k.ID)
			}
			return
		}
		switch {
		case rec.Code == 401 && rec.Body.Len() == 0:
		case rec.Code == 400 && strings.Contains(rec.Body.String(), "[invalid]tenantId"):
		default:
			t.Fatalf("header %q for key %s refused with %d %s", v, k.ID, rec.Code, rec.Body)
		}
		if named == "" {
			t.Fatalf("a blank header %q was refused", v)
		}
	})
}
