package manage

import (
	"net/url"
	"strings"
)

// NormalizeOrigin turns a configured URL into the serialised origin a
// browser sends (RFC 6454 §6.1): lower-case scheme and host, default port
// dropped, no path. Anything that is not an absolute http(s) URL with a host
// ("*", "null", "app.example.com") yields "" and is ignored.
func NormalizeOrigin(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port
	}
	return u.Scheme + "://" + host
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
