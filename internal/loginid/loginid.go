// Package loginid normalizes login identifiers (emails and usernames)
// before they are stored and looked up, and refuses look-alikes of Latin
// identifiers (issue 15, "Look-alike accounts").
//
// Normalize applies Unicode NFKC (golang.org/x/text/unicode/norm), which
// maps full-width and other compatibility forms to their plain letters
// ("ａｄａ" to "ada", the Kelvin sign to "K"), and full case folding
// (golang.org/x/text/cases) to an identifier holding any non-ASCII
// character, so lookups that fold only ASCII (SQLite's lower()) still find
// it whatever case it is typed in. An ASCII identifier is returned as
// given: its case is the user's, and storage compares it
// case-insensitively. This is the width, case and normalization mapping of
// PRECIS UsernameCaseMapped (RFC 8265 §3.3) with NFKC for its width
// mapping; Disallowed applies its IdentifierClass, without its Bidi Rule.
//
// Disallowed reports an identifier holding a character PRECIS's
// IdentifierClass (RFC 8264 §4.2, golang.org/x/text/secure/precis)
// disallows once it is normalized: a default-ignorable or format character
// (zero-width space, soft hyphen, word joiner, bidi marks and controls,
// tags, variation selectors, Hangul fillers; the zero-width joiners except
// where RFC 5892's CONTEXTJ rules need them, after a virama), a control, a
// private-use or unassigned code point, a symbol or non-ASCII punctuation,
// and any space but one ASCII space between two RFC 8265 userparts (so no
// leading, trailing or doubled space either). Such characters
// are invisible or drawn like others, so an identifier holding one would be
// a second account that looks like the first. ASCII punctuation is allowed
// (email addresses use it); the Bidi Rule is not applied, since it is
// meant for a whole right-to-left label and would refuse an Arabic local
// part at a Latin domain.
//
// LooksLike reports an identifier whose letters, mapped to the Latin
// letters they are drawn like (a small table of the confusables that
// matter: Cyrillic, Greek, Armenian, dotless i, ...), spell an ASCII
// identifier it is not, or with a dot- or at-separated label that mixes
// scripts beyond what Unicode TR39's "highly restrictive" level allows
// (Latin with Han and kana, with Han and Bopomofo, or with Han and
// Hangul): such an identifier exists only to be mistaken for another, and
// account creation refuses it.
package loginid

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// Normalize is the form an identifier is stored and looked up in.
func Normalize(id string) string {
	if isASCII(id) {
		return id
	}
	n := norm.NFKC.String(id)
	if isASCII(n) {
		return n
	}
	return norm.NFKC.String(folder.String(n))
}

// Compose is NFKC alone: the form a username is stored in (its case is the
// user's; lookups fold it).
func Compose(id string) string {
	if isASCII(id) {
		return id
	}
	return norm.NFKC.String(id)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// confusables maps letters drawn like a Latin letter to it (after
// Normalize, so lower case).
var confusables = map[rune]rune{
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ʏ': 'y', 'ᴅ': 'd',
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԁ': 'd',
	'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'ӏ': 'l', 'ѡ': 'w', 'ү': 'y', 'ɜ': 'e',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w', 'η': 'n',
	// Armenian (Unicode confusables.txt)
	'ա': 'w', 'գ': 'q', 'զ': 'q', 'հ': 'h', 'ո': 'n', 'ռ': 'n', 'ս': 'u', 'ց': 'g',
	'ք': 'f', 'օ': 'o',
}

// LooksLike reports whether id (normalized) is a look-alike of a Latin
// identifier: see the package comment.
func LooksLike(id string) bool {
	id = Normalize(id)
	if isASCII(id) {
		return false
	}
	var b strings.Builder
	for _, r := range id {
		if l, ok := confusables[r]; ok {
			r = l
		}
		b.WriteRune(r)
	}
	if isASCII(b.String()) {
		return true
	}
	for _, label := range strings.FieldsFunc(id, func(r rune) bool { return r == '.' || r == '@' }) {
		if mixed(label) {
			return true
		}
	}
	return false
}
