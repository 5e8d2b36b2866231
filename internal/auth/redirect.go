package auth

import (
	"net"
	"net/url"
	"strings"
)

// Values of oauthConfiguration.authorizedURLValidationPolicy (FusionAuth
// url-validation.mdx).
const (
	policyExactMatch     = "ExactMatch"
	policyAllowWildcards = "AllowWildcards"
)

// RedirectAllowed reports whether uri may receive a code or an error for a
// client whose registered URLs are registered (FusionAuth
// authorizedRedirectURLs with authorizedURLValidationPolicy). Under
// ExactMatch (the default) uri must equal one registered URL with only the
// scheme and host compared case-insensitively, as java.net.URI.equals does:
// a trailing slash, another port, "..", a different percent-encoding or an
// added query all fail. A uri with a fragment or userinfo is refused outright
// (RFC 6749 §3.1.2: no fragment; userinfo is the classic open-redirect
// disguise, "https://good.example@evil.example/").
func RedirectAllowed(registered []string, policy, uri string) bool {
	u, ok := parseRedirect(uri)
	if !ok {
		return false
	}
	for _, r := range registered {
		if strings.Contains(r, "*") {
			if policy == policyAllowWildcards && wildcardMatch(r, u) {
				return true
			}
			continue // ignored under ExactMatch
		}
		if ru, ok := parseRedirect(r); ok && sameURI(ru, u) {
			return true
		}
	}
	return false
}

// parseRedirect parses an absolute URI without fragment or userinfo.
func parseRedirect(s string) (*url.URL, bool) {
	if s == "" || len(s) > 2048 || strings.ContainsAny(s, "#\\ \t\r\n") {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, false
	}
	// A native app's private-use scheme (com.example.app:/cb) has no host;
	// a web URL must have one.
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return nil, false
	}
	return u, true
}

// sameURI compares as java.net.URI.equals: scheme and host ignoring case,
// the rest exactly as written (escaped path, query, port string).
func sameURI(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		a.Port() == b.Port() && a.EscapedPath() == b.EscapedPath() && a.RawQuery == b.RawQuery &&
		a.ForceQuery == b.ForceQuery
}

// wildcardMatch applies one AllowWildcards pattern (url-validation.mdx): the
// scheme is literal; a host may hold one "*" in its left-most label only,
// with at least three labels and not an IP address, standing for characters
// other than ".:/?"; a port "*" stands for digits; each path segment may
// hold one "*" not standing for "/" or "?"; a query value may be "*" (not
// standing for "&"), and the URI may add no parameter. Every "*" stands for
// at least one character.
func wildcardMatch(pattern string, u *url.URL) bool {
	scheme, rest, ok := strings.Cut(pattern, "://")
	if !ok || strings.Contains(scheme, "*") || !strings.EqualFold(scheme, u.Scheme) {
		return false
	}
	authority, pathQuery := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, pathQuery = rest[:i], rest[i:]
	}
	host, port := authority, ""
	if i := strings.LastIndex(authority, ":"); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
	}
	if !hostMatch(host, u.Hostname()) || !portMatch(port, u.Port()) {
		return false
	}
	path, query, _ := strings.Cut(pathQuery, "?")
	return pathMatch(path, u.EscapedPath()) && queryMatch(query, u.RawQuery)
}

func hostMatch(pattern, host string) bool {
	if !strings.Contains(pattern, "*") {
		return strings.EqualFold(pattern, host)
	}
	labels := strings.Split(pattern, ".")
	if len(labels) < 3 || strings.Count(pattern, "*") != 1 || !strings.Contains(labels[0], "*") ||
		net.ParseIP(strings.ReplaceAll(pattern, "*", "1")) != nil {
		return false
	}
	got := strings.Split(strings.ToLower(host), ".")
	if len(got) != len(labels) || !strings.EqualFold(strings.Join(labels[1:], "."), strings.Join(got[1:], ".")) {
		return false
	}
	return starMatch(strings.ToLower(labels[0]), got[0], ".:/?")
}

func portMatch(pattern, port string) bool {
	if pattern != "*" {
		return pattern == port
	}
	if port == "" {
		return false
	}
	return strings.Trim(port, "0123456789") == ""
}

func pathMatch(pattern, path string) bool {
	ps, gs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(gs) {
		return false
	}
	for i := range ps {
		if strings.Count(ps[i], "*") > 1 || !starMatch(ps[i], gs[i], "/?") {
			return false
		}
		if strings.Contains(ps[i], "*") && dotSegment(gs[i]) {
			// A browser resolves "." and ".." (also written %2e): the code
			// would land on another path than the pattern allows
			// (RFC 9700 §4.1.3).
			return false
		}
	}
	return true
}

// dotSegment says whether an escaped path segment is "." or "..", in any
// spelling a browser resolves (the WHATWG URL standard's dot segments).
func dotSegment(seg string) bool {
	s := strings.ReplaceAll(strings.ToLower(seg), "%2e", ".")
	return s == "." || s == ".."
}

// queryMatch: the same parameters in the same order; a value "*" matches
// any non-empty value without "&".
func queryMatch(pattern, query string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == query
	}
	ps, gs := strings.Split(pattern, "&"), strings.Split(query, "&")
	if len(ps) != len(gs) {
		return false
	}
	for i := range ps {
		pk, pv, _ := strings.Cut(ps[i], "=")
		gk, gv, _ := strings.Cut(gs[i], "=")
		if pk != gk || (pv == "*" && gv == "") || (pv != "*" && pv != gv) {
			return false
		}
	}
	return true
}

// starMatch matches s against a pattern with at most one "*" standing for
// one or more characters, none of them in forbidden.
func starMatch(pattern, s, forbidden string) bool {
	pre, post, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	if len(s) < len(pre)+len(post)+1 || !strings.HasPrefix(s, pre) || !strings.HasSuffix(s, post) {
		return false
	}
	return !strings.ContainsAny(s[len(pre):len(s)-len(post)], forbidden)
}
