package urlnorm

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// maxHostLength is the longest DNS name (RFC 1035 §2.3.4, without the
// trailing dot); IP literals are shorter.
const maxHostLength = 253

// Host returns the comparable form of a URL host as url.URL.Hostname gives it
// (no brackets, no port): a DNS name with ASCII letters lower-cased, an IPv4
// address in dotted decimal, an IPv6 address in its RFC 5952 form inside
// brackets. ok is false for an empty host, any byte outside ASCII, an IPv6
// zone, an empty label (so no trailing dot) and characters no host name has.
// Letters, digits, '-' and '_' are allowed in labels ('_' appears in
// container and service names).
func Host(h string) (string, bool) {
	if h == "" || len(h) > maxHostLength {
		return "", false
	}
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[" + a.String() + "]", true
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4() {
		return a.String(), true
	}
	b := []byte(h)
	label := 0
	for i, c := range b {
		switch {
		case c == '.':
			if label == 0 {
				return "", false
			}
			label = 0
			continue
		case 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return "", false // includes every byte >= 0x80
		}
		if label++; label > 63 {
			return "", false
		}
	}
	if label == 0 {
		return "", false
	}
	return string(b), true
}

// Port returns the comparable form of a URL port for scheme: "" for no port
// or the scheme's default (RFC 3986 §6.2.3), else the number without leading
// zeros. ok is false outside 1..65535.
func Port(scheme, p string) (string, bool) {
	if p == "" {
		return "", true
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || p[0] == '+' || p[0] == '-' {
		return "", false
	}
	if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
		return "", true
	}
	return strconv.Itoa(n), true
}

// Origin returns the serialised origin (RFC 6454 §6.1) of an absolute http
// or https URL: scheme "://" host [":" port], scheme and host as Host gives
// them, the default port dropped. Path, query and fragment are ignored; a
// URL with userinfo, without a host, or with a host Host refuses is not an
// origin.
func Origin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	return OriginOf(u)
}

// OriginOf is Origin for a URL already parsed.
func OriginOf(u *url.URL) (string, bool) {
	if u.User != nil || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, ok := Host(u.Hostname())
	if !ok {
		return "", false
	}
	port, ok := Port(scheme, u.Port())
	if !ok {
		return "", false
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}
