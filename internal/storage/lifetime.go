package storage

import (
	"math"
	"time"
)

// MaxSetting is the largest value a lifetime, duration or timeout setting
// may hold: FusionAuth's fields are Java Integers, so it refuses anything
// above 2,147,483,647.
const MaxSetting = math.MaxInt32

// Lifetime is a configured count of unit (timeToLiveInSeconds, ...) as a
// Duration. It saturates instead of wrapping: a stored value too large for
// a Duration (an older database, a Kickstart file) is the longest Duration,
// never a short or negative one.
func Lifetime(n int, unit time.Duration) time.Duration {
	switch {
	case unit <= 0:
		return 0
	case n > 0 && int64(n) > math.MaxInt64/int64(unit):
		return math.MaxInt64
	case n < 0 && int64(n) < math.MinInt64/int64(unit):
		return math.MinInt64
	}
	return time.Duration(n) * unit
}

// SettingFits reports whether a lifetime setting of n units is within
// FusionAuth's bound and converts to a Duration without saturating: what
// the management API accepts.
func SettingFits(n int, unit time.Duration) bool {
	return n <= MaxSetting && (unit <= 0 || int64(n) <= math.MaxInt64/int64(unit))
}

// ActionDurationUnit is failedAuthenticationConfiguration.actionDurationUnit
// as a Duration (FusionAuth's ExpiryUnit; a month is 30 days, a year 365).
func ActionDurationUnit(u string) time.Duration {
	switch u {
	case "SECONDS":
		return time.Second
	case "HOURS":
		return time.Hour
	case "DAYS":
		return 24 * time.Hour
	case "WEEKS":
		return 7 * 24 * time.Hour
	case "MONTHS":
		return 30 * 24 * time.Hour
	case "YEARS":
		return 365 * 24 * time.Hour
	default: // MINUTES, FusionAuth's default unit
		return time.Minute
	}
}
