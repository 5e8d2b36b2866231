// Package urlnorm gives the scheme, host and port of an http(s) URL the one
// form that two equal URLs share, for the places where a security decision
// compares them: DPoP htu matching (jwtverify/dpop, RFC 9449 §4.3 check 9)
// and, in the latchkey server, CORS origin matching.
//
// Hosts are compared in their ASCII form only. A browser serialises every
// origin and request URL with an ASCII host (WHATWG URL "domain to ASCII":
// punycode for internationalised names), so a non-ASCII host never comes
// from a conforming client; folding it instead (strings.ToLower maps the
// Kelvin sign U+212A to "k") would let "\u212aey.test" stand for key.test.
// Such hosts are refused, not converted.
//
// This package is public API: it must not import any latchkey internal
// package.
package urlnorm
