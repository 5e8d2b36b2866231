package dpop

import (
	"net"
	"net/url"
	"strings"
)

// NormalizeURL returns the form of an htu (or request URI) that two equal
// URIs share: RFC 9449 §4.3 check 9 compares "ignoring any query and
// fragment parts" after syntax- and scheme-based normalisation (RFC 3986
// §6.2.2, §6.2.3): scheme and host lower-cased, the scheme's default port
// dropped, an empty path as "/", percent-encoding re-encoded canonically.
// Only absolute http(s) URIs without userinfo are accepted.
func NormalizeURL(raw string) (string, bool) {
	if raw == "" || len(raw) > 2048 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
