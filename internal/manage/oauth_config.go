package manage

import (
	"net/url"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

var (
	urlPolicies  = []string{"", "ExactMatch", "AllowWildcards"}
	pkcePolicies = []string{"", "Required", "NotRequired", "NotRequiredWhenUsingClientAuthentication"}
)

// validateOAuthURLs checks the parts of oauthConfiguration the code flow
// reads (FusionAuth _application-request-body.mdx): the policies' values,
// redirect URLs that are absolute and carry no fragment or userinfo (RFC 6749
// §3.1.2; a wildcard entry only under AllowWildcards), and http(s) logout
// URLs.
func validateOAuthURLs(e *Invalid, o storage.ApplicationOAuthConfig) {
	const p = "application.oauthConfiguration."
	if !slices.Contains(urlPolicies, o.AuthorizedURLValidationPolicy) {
		e.Field("invalid", p+"authorizedURLValidationPolicy", "Use ExactMatch or AllowWildcards.")
	}
	if !slices.Contains(pkcePolicies, o.ProofKeyForCodeExchangePolicy) {
		e.Field("invalid", p+"proofKeyForCodeExchangePolicy", "Use Required, NotRequired or NotRequiredWhenUsingClientAuthentication.")
	}
	for _, r := range o.AuthorizedRedirectURLs {
		u, err := url.Parse(strings.ReplaceAll(r, "*", "x"))
		switch {
		case err != nil || u.Scheme == "" || u.User != nil || strings.Contains(r, "#"):
			e.Field("invalid", p+"authorizedRedirectURLs", "The redirect URL ["+truncate(r, 128)+"] must be absolute, without a fragment or user info.")
		case strings.Contains(r, "*") && o.AuthorizedURLValidationPolicy != "AllowWildcards":
			e.Field("invalid", p+"authorizedRedirectURLs", "The redirect URL ["+truncate(r, 128)+"] has a wildcard; set authorizedURLValidationPolicy to AllowWildcards.")
		}
	}
	for _, f := range [...]struct{ name, v string }{{"logoutURL", o.LogoutURL}, {"backchannelLogoutURL", o.BackchannelLogoutURL}} {
		name, v := f.name, f.v
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "") {
			e.Field("invalid", p+name, "The ["+name+"] must be an absolute http(s) URL without a fragment.")
		}
	}
}
