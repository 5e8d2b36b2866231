package manage

import (
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/jwtverify/urlnorm"
)

// NormalizeOrigin turns a configured URL into the serialised origin a
// browser sends (RFC 6454 §6.1): lower-case scheme and ASCII host, default port
// dropped, no path. Anything that is not an absolute http(s) URL with a host
// ("*", "null", "app.example.com") yields "" and is ignored.
func NormalizeOrigin(v string) string {
	// urlnorm compares ASCII hosts only: a non-ASCII host (the Kelvin sign
	// folded to "k" by strings.ToLower) is refused, not folded into
	// another origin (issue 15, fuzzing finding).
	o, _ := urlnorm.Origin(strings.TrimSpace(v))
	return o
}

// validOrigin accepts a serialised origin, scheme://host[:port] (RFC 6454
// §6.1), with at most a trailing slash: a value with a path, query or user
// info is refused rather than silently truncated, so what the operator sees is
// what is enforced.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil &&
		!u.ForceQuery && NormalizeOrigin(o) != ""
}
