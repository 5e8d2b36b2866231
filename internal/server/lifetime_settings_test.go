package server_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLifetimeSettingsBeyondIntegerRefused: a lifetime setting above
// FusionAuth's Integer bound, or longer than a Duration holds, is refused
// with its field, and the application or tenant stays as it was (each one
// used to be accepted and then wrap: 1e10 s gave 3600 s tokens, 2e10 s
// tokens of 49 years, 2^31-1 minutes a 30-day cookie).
func TestLifetimeSettingsBeyondIntegerRefused(t *testing.T) {
	s := newStack(t)
	const jwt = "application.jwtConfiguration."
	refused := []struct {
		path, body, field string
	}{
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"enabled":true,"timeToLiveInSeconds":2147483648}}}`, jwt + "timeToLiveInSeconds"},
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"enabled":true,"timeToLiveInSeconds":10000000000}}}`, jwt + "timeToLiveInSeconds"},
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"enabled":true,"refreshTokenTimeToLiveInMinutes":153722868}}}`, jwt + "refreshTokenTimeToLiveInMinutes"},
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"enabled":true,"refreshTokenTimeToLiveInMinutes":2147483647}}}`, jwt + "refreshTokenTimeToLiveInMinutes"},
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"enabled":true,"refreshTokenTimeToLiveInMinutes":1000000000}}}`, jwt + "refreshTokenTimeToLiveInMinutes"},
		{"/api/application/" + storeApp, `{"application":{"jwtConfiguration":{"refreshTokenSlidingWindowConfiguration":{"maximumTimeToLiveInMinutes":4611686018427387904}}}}`,
			jwt + "refreshTokenSlidingWindowConfiguration.maximumTimeToLiveInMinutes"},
		{"/api/tenant/" + tenantID, `{"tenant":{"jwtConfiguration":{"timeToLiveInSeconds":2147483648}}}`, "tenant.jwtConfiguration.timeToLiveInSeconds"},
		{"/api/tenant/" + tenantID, `{"tenant":{"jwtConfiguration":{"refreshTokenTimeToLiveInMinutes":200000000}}}`, "tenant.jwtConfiguration.refreshTokenTimeToLiveInMinutes"},
		{"/api/tenant/" + tenantID, `{"tenant":{"failedAuthenticationConfiguration":{"resetCountInSeconds":2147483648}}}`, "tenant.failedAuthenticationConfiguration.resetCountInSeconds"},
		{"/api/tenant/" + tenantID, `{"tenant":{"failedAuthenticationConfiguration":{"actionDuration":293,"actionDurationUnit":"YEARS"}}}`, "tenant.failedAuthenticationConfiguration.actionDuration"},
		{"/api/tenant/" + tenantID, `{"tenant":{"externalIdentifierConfiguration":{"twoFactorIdTimeToLiveInSeconds":2147483648}}}`, "tenant.externalIdentifierConfiguration.twoFactorIdTimeToLiveInSeconds"},
		{"/api/tenant/" + tenantID, `{"tenant":{"externalIdentifierConfiguration":{"passwordlessLoginTimeToLiveInSeconds":9223372036854775807}}}`, "tenant.externalIdentifierConfiguration.passwordlessLoginTimeToLiveInSeconds"},
		{"/api/tenant/" + tenantID, `{"tenant":{"minimumPasswordAge":{"seconds":2147483648}}}`, "tenant.minimumPasswordAge.seconds"},
		{"/api/tenant/" + tenantID, `{"tenant":{"maximumPasswordAge":{"days":2147483648}}}`, "tenant.maximumPasswordAge.days"},
	}
	admin := map[string]string{"Authorization": apiKey}
	for _, tt := range refused {
		t.Run(tt.field, func(t *testing.T) {
			before := s.do(call{method: "GET", path: tt.path, hdr: admin})
			res := s.do(call{method: "PATCH", path: tt.path, body: tt.body, hdr: admin})
			if res.status != 400 || !strings.Contains(string(res.body), `"code":"[invalid]`+tt.field+`"`) {
				t.Fatalf("PATCH %s: %d %s; want 400 [invalid]%s", tt.body, res.status, res.body, tt.field)
			}
			if after := s.do(call{method: "GET", path: tt.path, hdr: admin}); !bytes.Equal(before.body, after.body) {
				t.Fatalf("a refused PATCH changed %s:\n%s\n%s", tt.path, before.body, after.body)
			}
		})
	}
}

// TestLargestLifetimesAreHonouredAtLogin: the largest accepted lifetimes
// (2^31-1 seconds for the access token, 153,722,867 minutes, the most a
// Duration holds, for the refresh token) give a login exactly those
// lifetimes, not a wrapped or defaulted one.
func TestLargestLifetimesAreHonouredAtLogin(t *testing.T) {
	s := newStack(t)
	admin := map[string]string{"Authorization": apiKey}
	res := s.do(call{method: "PATCH", path: "/api/application/" + storeApp, hdr: admin, body: `{"application":{"jwtConfiguration":{
		"enabled":true,"timeToLiveInSeconds":2147483647,"refreshTokenTimeToLiveInMinutes":153722867,
		"refreshTokenExpirationPolicy":"Fixed","refreshTokenUsagePolicy":"Reusable","refreshTokenSlidingWindowConfiguration":{"maximumTimeToLiveInMinutes":153722867}}}}`})
	if res.status != 200 {
		t.Fatalf("PATCH: %d %s", res.status, res.body)
	}
	res = s.login(storeApp, nil)
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	c := claimsOf(t, res.json(t)["token"].(string))
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 2147483647 {
		t.Fatalf("access token lives %v s, want 2147483647", exp-iat)
	}
	want := "Max-Age=" + strconv.Itoa(153722867*60) + ";"
	if cookies := res.header.Values("Set-Cookie"); len(cookies) != 2 || !strings.Contains(cookies[1], want) {
		t.Fatalf("refresh cookie %q; want %s", cookies, want)
	}
}

// TestStoredLifetimesBeyondADurationSaturate: lifetimes stored before they
// were bounded (an older database, a Kickstart file) too long for a
// Duration give the longest lifetime a Duration holds (9,223,372,036 s),
// never a wrapped one (2e10 s used to give 49-year tokens, 2^31-1 minutes
// the 30-day default cookie).
func TestStoredLifetimesBeyondADurationSaturate(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		j := &apps[storeApp].JWTConfiguration
		j.Enabled, j.TimeToLiveInSeconds, j.RefreshTokenTimeToLiveInMinutes = true, 20_000_000_000, 2147483647
		j.RefreshTokenExpirationPolicy, j.RefreshTokenUsagePolicy = "Fixed", "Reusable"
	})
	res := s.login(storeApp, nil)
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	const longest = math.MaxInt64 / int64(time.Second)
	c := claimsOf(t, res.json(t)["token"].(string))
	if exp, iat := int64(c["exp"].(float64)), int64(c["iat"].(float64)); exp-iat != longest {
		t.Fatalf("access token lives %d s, want %d", exp-iat, longest)
	}
	want := "Max-Age=" + strconv.FormatInt(longest+1, 10) + ";" // rounded up: 9,223,372,036.85 s
	if cookies := res.header.Values("Set-Cookie"); len(cookies) != 2 || !strings.Contains(cookies[1], want) {
		t.Fatalf("refresh cookie %q; want %s", cookies, want)
	}
}
