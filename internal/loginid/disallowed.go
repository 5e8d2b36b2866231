package loginid

import (
	"strings"

	"golang.org/x/text/secure/precis"
)

// identifierClass is PRECIS's IdentifierClass with no mappings and no Bidi
// Rule: Normalize has done the mapping, and the Bidi Rule would refuse
// right-to-left local parts at Latin domains (see the package comment).
var identifierClass = precis.NewIdentifier()

// Disallowed reports whether id holds a character that has no place in a
// login identifier: see the package comment.
func Disallowed(id string) bool {
	// RFC 8265 §3.1: a username is userparts separated by single spaces,
	// each userpart an IdentifierClass string. An email has no space
	// (net/mail refuses it), so it is one userpart.
	for _, part := range strings.Split(Normalize(id), " ") {
		if part == "" {
			return true
		}
		if _, err := identifierClass.String(part); err != nil {
			return true
		}
	}
	return false
}
