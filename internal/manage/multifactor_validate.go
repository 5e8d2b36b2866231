package manage

import (
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The policies of issue 10 that latchkey enforces. FusionAuth's loginPolicy
// Required (1.42: a user without a method must enrol one inside the login,
// configurableMethods) is refused rather than stored, because a stored
// Required that logged users without a method in on their password alone
// would promise more than it does (docs/compatibility.md).
var (
	loginPolicies = []string{"", "Enabled", "Disabled"}
	trustPolicies = []string{"", "Any", "This", "None"}
)

func validateTenantMultiFactor(e *Invalid, c *storage.TenantMultiFactorConfiguration) {
	if c != nil && !slices.Contains(loginPolicies, c.LoginPolicy) {
		e.Field("invalid", "tenant.multiFactorConfiguration.loginPolicy", loginPolicyMessage(c.LoginPolicy))
	}
}

func validateApplicationMultiFactor(e *Invalid, c *storage.ApplicationMultiFactorConfiguration) {
	if c == nil {
		return
	}
	if !slices.Contains(loginPolicies, c.LoginPolicy) {
		e.Field("invalid", "application.multiFactorConfiguration.loginPolicy", loginPolicyMessage(c.LoginPolicy))
	}
	if !slices.Contains(trustPolicies, c.TrustPolicy) {
		e.Field("invalid", "application.multiFactorConfiguration.trustPolicy", "Use Any, This or None.")
	}
}

func loginPolicyMessage(got string) string {
	if got == "Required" {
		return "The Required login policy is not supported yet; use Enabled (a user with a method is always challenged) or Disabled."
	}
	return "Use Enabled or Disabled."
}
