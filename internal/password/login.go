package password

import (
	"time"

	"github.com/latchkeyhq/latchkey/internal/password/breached"
)

// FusionAuth's changePasswordReason values: login answers 203 with one of
// them and a changePasswordId (accounts spec §9.4).
const (
	ReasonAdministrative = "Administrative" // user.passwordChangeRequired
	ReasonBreached       = "Breached"       // breachDetection.onLogin RequireChange
	ReasonExpired        = "Expired"        // maximumPasswordAge
	ReasonValidation     = "Validation"     // validateOnLogin
)

// MaximumAge is tenant.maximumPasswordAge: a password older than Days must
// be changed at the next login. FusionAuth's default is {false, 180}.
type MaximumAge struct {
	Enabled bool `json:"enabled"`
	Days    int  `json:"days"`
}

// Expired reports whether a password set at lastUpdate is past its
// maximum age at now. A zero lastUpdate (never recorded) is not expired.
func (m MaximumAge) Expired(lastUpdate, now time.Time) bool {
	return m.Enabled && !lastUpdate.IsZero() && now.After(lastUpdate.AddDate(0, 0, m.Days))
}

// AtLogin returns the changePasswordReason for a login whose password
// verified, or "" when the login may complete: Expired (maxAge), then
// Validation (rules.validateOnLogin and the password fails Validate), then
// Breached (breach detection on with onLogin RequireChange, and the
// password is a common one). The caller checks the user's own
// passwordChangeRequired (Administrative) first. RecordOnly and NotifyUser
// do not stop the login; the caller records or notifies when
// CommonAtLogin says so.
func (r Rules) AtLogin(plain string, ids LoginIDs, maxAge MaximumAge, lastUpdate, now time.Time) string {
	switch {
	case maxAge.Expired(lastUpdate, now):
		return ReasonExpired
	case r.ValidateOnLogin && len(r.Validate(plain, "password", ids)) > 0:
		return ReasonValidation
	case r.BreachDetection.OnLogin == "RequireChange" && r.CommonAtLogin(plain):
		return ReasonBreached
	}
	return ""
}

// CommonAtLogin reports whether breach detection runs at login
// (enabled, onLogin not Off) and finds plain common.
func (r Rules) CommonAtLogin(plain string) bool {
	b := r.BreachDetection
	return b.Enabled && b.OnLogin != "" && b.OnLogin != "Off" && breached.Common(plain)
}
