package server_test

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginEventsCarryTheRequestInfo: user.login.success says where the
// login came from (info.ipAddress, info.userAgent, the top-level ipAddress
// FusionAuth still sends) whatever proved the user: a password, a passkey,
// a passwordless code, or a password then a second factor.
func TestLoginEventsCarryTheRequestInfo(t *testing.T) {
	s := newTunedStack(t, nil, webhookTuning, allEvents, func(apps map[string]*storage.Application, tn *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
		tn.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true,
			Bootstrap: storage.WebAuthnWorkflow{Enabled: true}, Reauthentication: storage.WebAuthnWorkflow{Enabled: true}}
	})
	rec := newReceiver(t)
	wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, "")}), 200)
	a := passkeytest.New()
	wantStatus(t, s.registerPasskey(s.jwtFor(), a), 200)

	logins := []struct {
		name, ua, authType string
		do                 func(ua string) result
	}{
		{"password", "agent-password", "PASSWORD", func(ua string) result {
			return s.login(storeApp, map[string]string{"User-Agent": ua})
		}},
		{"passkey", "agent-passkey", "WebAuthn", func(ua string) result {
			o := s.startLogin()
			return s.do(call{method: "POST", path: "/api/webauthn/login", hdr: map[string]string{"Origin": storeSite, "User-Agent": ua},
				body: `{"credential":` + string(a.Get(rpID, o.Options.Challenge, storeSite)) + `,"origin":"` + storeSite + `","rpId":"` + rpID + `"}`})
		}},
		{"passwordless", "agent-passwordless", "PASSWORDLESS", func(ua string) result {
			return s.passwordless(s.passwordlessCode(), map[string]string{"User-Agent": ua})
		}},
	}
	for _, l := range logins {
		t.Run(l.name, func(t *testing.T) {
			wantStatus(t, l.do(l.ua), 200)
			d := rec.waitMatch(t, func(d delivery) bool {
				info, _ := d.event["info"].(map[string]any)
				return d.event["type"] == events.UserLoginSuccess && info["userAgent"] == l.ua
			})
			info := d.event["info"].(map[string]any)
			if info["ipAddress"] != "127.0.0.1" || d.event["ipAddress"] != "127.0.0.1" || d.event["authenticationType"] != l.authType {
				t.Errorf("%s login event: info %v, ipAddress %v, authenticationType %v", l.name, info, d.event["ipAddress"], d.event["authenticationType"])
			}
		})
	}
}
