package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Fixed ids keep the SPAs' application ids, and the users the Store's and
// Forums' own databases know, stable across runs of the demo.
const (
	StoreAppID  = "3a2c2d6e-5b7f-4c1e-9d0a-000000000001"
	ForumsAppID = "3a2c2d6e-5b7f-4c1e-9d0a-000000000002"
	DemoUserID  = "00000000-0000-4000-8000-00000000de70"
	// DemoEmail and DemoPassword are printed by Run: a demo, not a secret.
	DemoEmail    = "richard@example.com"
	DemoPassword = "password"
)

// settings are the lifetimes and origins the Kickstart and reconcile write.
type settings struct {
	jwtTTL, refreshTTL, grace time.Duration
	storeOrigin, forumsOrigin string
	mailPort                  int // the mail catcher's SMTP port on 127.0.0.1
}

// emailConfiguration sends the tenant's mail to the demo's catcher, and
// asks new users to confirm their address before they can log in
// (tenant.emailConfiguration; accounts spec §6).
func (s settings) emailConfiguration() map[string]any {
	return map[string]any{
		"host": "127.0.0.1", "port": s.mailPort, "security": "NONE",
		"defaultFromEmail": "no-reply@latchkey.demo", "defaultFromName": "Latchkey demo",
		"verifyEmail": true, "verifyEmailWhenChanged": true, "verificationStrategy": "ClickableLink",
		"unverified": map[string]any{"behavior": "Gated"},
	}
}

// registrationConfiguration lets the SPA create accounts without an API
// key (latchkey's keyless sign-up), with a first name.
var registrationConfiguration = map[string]any{
	"enabled": true, "type": "basic", "loginIdType": "email",
	"firstName": map[string]any{"enabled": true, "required": false},
}

// refreshMinutes converts to FusionAuth's unit, rounding up: the field is
// whole minutes (application.jwtConfiguration.refreshTokenTimeToLiveInMinutes).
func (s settings) refreshMinutes() int { return int((s.refreshTTL + time.Minute - 1) / time.Minute) }

func (s settings) jwtConfiguration() map[string]any {
	return map[string]any{
		"enabled":                         true,
		"timeToLiveInSeconds":             max(1, int(s.jwtTTL/time.Second)),
		"refreshTokenTimeToLiveInMinutes": s.refreshMinutes(),
		"refreshTokenExpirationPolicy":    "Fixed",
		// OneTimeUse: every refresh rotates the cookie, so a stolen one that
		// is used after the victim's next refresh is recognised as reuse.
		"refreshTokenUsagePolicy": "OneTimeUse",
		// A short grace period: two tabs refreshing at once must not look like
		// theft (security-bar.md §0.1).
		"refreshTokenOneTimeUseConfiguration": map[string]any{"gracePeriodInSeconds": int(s.grace / time.Second)},
	}
}

func (s settings) application(name, origin string) map[string]any {
	return map[string]any{
		"name":             name,
		"roles":            []map[string]any{{"name": "customer", "isDefault": true}},
		"jwtConfiguration": s.jwtConfiguration(),
		// The SPA calls /api/login from the browser, so no API key
		// (fusionauth-api.md §1.2), and it refreshes through the cookie.
		"loginConfiguration": map[string]any{
			"requireAuthentication": false, "allowTokenRefresh": true, "generateRefreshTokens": true,
		},
		// The first origin is also where the account mails' links point.
		"oauthConfiguration":        oauthConfiguration(origin),
		"registrationConfiguration": registrationConfiguration,
	}
}

// oauthConfiguration also lets the application use the authorization code
// flow with PKCE as a public client (latchkey demo --oauth): its page is the
// redirect URL. The native form does not use it.
func oauthConfiguration(origin string) map[string]any {
	return map[string]any{
		"authorizedOriginURLs":       []string{origin},
		"authorizedRedirectURLs":     []string{origin + "/"},
		"clientAuthenticationPolicy": "NotRequired",
		"enabledGrants":              []string{"authorization_code", "refresh_token"},
		"generateRefreshTokens":      true,
	}
}

// kickstartFile is the demo's own FusionAuth-format Kickstart (kickstart.mdx):
// the two applications, the tenant's mail and passkey settings, the user
// registered to both, and CORS for the two origins with credentials
// (fusionauth-api.md §6.6).
func kickstartFile(s settings, apiKey string) ([]byte, error) {
	k := map[string]any{
		"apiKeys": []map[string]any{{"key": apiKey, "description": "latchkey demo kickstart"}},
		"requests": []map[string]any{
			{"method": "POST", "url": "/api/application/" + StoreAppID, "body": map[string]any{"application": s.application("Store", s.storeOrigin)}},
			{"method": "POST", "url": "/api/application/" + ForumsAppID, "body": map[string]any{"application": s.application("Forums", s.forumsOrigin)}},
			// Mail to the catcher, and passkeys for the Store's account page
			// and its passkey login (issue 10; the RP id is each page's host).
			{"method": "PATCH", "url": "/api/tenant/" + manage.DefaultTenantID, "body": map[string]any{
				"tenant": map[string]any{"emailConfiguration": s.emailConfiguration(), "webAuthnConfiguration": webAuthn()},
			}},
			{"method": "POST", "url": "/api/user/registration/" + DemoUserID, "body": map[string]any{
				"user":         map[string]any{"email": DemoEmail, "password": DemoPassword, "firstName": "Richard"},
				"registration": map[string]any{"applicationId": StoreAppID},
				// The demo user is ready to log in: no confirmation mail.
				"skipVerification": true,
			}},
			{"method": "POST", "url": "/api/user/registration/" + DemoUserID, "body": map[string]any{
				"registration": map[string]any{"applicationId": ForumsAppID},
			}},
			{"method": "PATCH", "url": "/api/system-configuration", "body": map[string]any{
				"systemConfiguration": map[string]any{"corsConfiguration": cors(s)},
			}},
		},
	}
	return json.MarshalIndent(k, "", "  ")
}

func cors(s settings) map[string]any {
	return map[string]any{
		"enabled":                  true,
		"allowCredentials":         true,
		"allowedOrigins":           []string{s.storeOrigin, s.forumsOrigin},
		"allowedMethods":           []string{"GET", "POST", "DELETE", "OPTIONS"},
		"allowedHeaders":           []string{"Accept", "Authorization", "Content-Type", "Origin"},
		"preflightMaxAgeInSeconds": 1800,
	}
}

// reconcile applies this run's lifetimes and origins to a database that a
// previous run already kickstarted (a Kickstart runs only once per database),
// so flags always take effect.
func reconcile(ctx context.Context, st storage.Storage, s settings) error {
	for id, origin := range map[string]string{StoreAppID: s.storeOrigin, ForumsAppID: s.forumsOrigin} {
		app, err := st.GetApplication(ctx, id)
		if err != nil {
			return fmt.Errorf("demo: application %s: %w", id, err)
		}
		jc := &app.JWTConfiguration
		jc.Enabled = true
		jc.TimeToLiveInSeconds = max(1, int(s.jwtTTL/time.Second))
		jc.RefreshTokenTimeToLiveInMinutes = s.refreshMinutes()
		jc.RefreshTokenExpirationPolicy = "Fixed"
		jc.RefreshTokenUsagePolicy = "OneTimeUse"
		jc.RefreshTokenOneTimeUseConfiguration.GracePeriodInSeconds = int(s.grace / time.Second)
		o := &app.OAuthConfiguration
		o.AuthorizedOriginURLs, o.AuthorizedRedirectURLs = []string{origin}, []string{origin + "/"}
		o.ClientAuthenticationPolicy, o.GenerateRefreshTokens = "NotRequired", true
		o.EnabledGrants = []string{"authorization_code", "refresh_token"}
		app.RegistrationConfiguration.Enabled = true
		if err := st.UpdateApplication(ctx, app); err != nil {
			return fmt.Errorf("demo: update application %s: %w", id, err)
		}
	}
	// The catcher's port may differ from the last run's; passkeys stay on.
	t, err := st.GetTenant(ctx, manage.DefaultTenantID)
	if err != nil {
		return fmt.Errorf("demo: tenant: %w", err)
	}
	e := &t.EmailConfiguration
	e.Host, e.Port, e.Security, e.Username, e.Password = "127.0.0.1", s.mailPort, "NONE", "", ""
	w := storage.WebAuthnWorkflow{Enabled: true, UserVerificationRequirement: "required"}
	t.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true, Bootstrap: w, Reauthentication: w}
	if err := st.UpdateTenant(ctx, t); err != nil {
		return fmt.Errorf("demo: update tenant: %w", err)
	}
	sc, err := st.GetSystemConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("demo: system configuration: %w", err)
	}
	c := &sc.CORSConfiguration
	c.Enabled, c.AllowCredentials = true, true
	c.AllowedOrigins = []string{s.storeOrigin, s.forumsOrigin}
	c.AllowedMethods = []string{"GET", "POST", "DELETE", "OPTIONS"}
	c.AllowedHeaders = []string{"Accept", "Authorization", "Content-Type", "Origin"}
	return st.PutSystemConfiguration(ctx, sc)
}

// webAuthn is the demo tenant's webAuthnConfiguration: both workflows on,
// user verification required.
func webAuthn() map[string]any {
	w := map[string]any{"enabled": true, "userVerificationRequirement": "required"}
	return map[string]any{"enabled": true, "bootstrapWorkflow": w, "reauthenticationWorkflow": w}
}
