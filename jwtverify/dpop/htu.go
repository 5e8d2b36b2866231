package dpop

import (
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/jwtverify/urlnorm"
)

// NormalizeURL returns the form of an htu (or request URI) that two equal
// URIs share: RFC 9449 §4.3 check 9 compares "ignoring any query and
// fragment parts" after syntax- and scheme-based normalisation (RFC 3986
// §6.2.2, §6.2.3). Scheme, host and port are urlnorm.OriginOf's (ASCII hosts
// only, the default port dropped); the path has percent-encodings of
// unreserved characters decoded and the others upper-cased (§6.2.2.1-2), an
// empty path becomes "/". Dot segments are kept: the request URI is compared
// as the client sent it. Only absolute http(s) URIs with a host and without
// userinfo are accepted, and the result normalises to itself.
func NormalizeURL(raw string) (string, bool) {
	if raw == "" || len(raw) > maxURL {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	origin, ok := urlnorm.OriginOf(u)
	if !ok {
		return "", false
	}
	// The bound applies to the result too: escaping can triple a path's
	// length, and an output longer than the input bound would not normalise
	// again (found by FuzzNormalizeURL).
	out := origin + normalizePath(u.EscapedPath())
	if len(out) > maxURL {
		return "", false
	}
	return out, true
}

// maxURL bounds an htu or request URI, before and after normalisation.
const maxURL = 2048

const upperHex = "0123456789ABCDEF"

// normalizePath rewrites an escaped path (RFC 3986 §3.3) so that equal paths
// are equal strings: %XX of an unreserved character becomes the character,
// other %XX are upper-cased, and a byte outside pchar / "/" is encoded.
// %2F stays encoded: it is data, not a segment delimiter (§2.2).
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			if unreserved(v) {
				b.WriteByte(v)
			} else {
				b.Write([]byte{'%', upperHex[v>>4], upperHex[v&15]})
			}
			i += 2
		case c != '%' && (unreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0):
			b.WriteByte(c)
		default:
			b.Write([]byte{'%', upperHex[c>>4], upperHex[c&15]})
		}
	}
	return b.String()
}

// unreserved is RFC 3986 §2.3's set.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
