package breached

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Affix limits: at most this many digits or symbols are stripped before or
// after a listed word ("1password", "dragon2024!"). More than that is not an
// obvious variant any more ("monkey93817465" adds about 10^8 guesses).
const (
	maxPrefix = 4
	maxSuffix = 6
	// minDerived: a candidate made by stripping or undoing substitutions
	// must keep this many characters; only the whole password is looked
	// up at any length.
	minDerived = 4
)

// variants returns the strings Common looks up (and tests with trivial) for plain: the password
// case-folded after NFKC normalisation, with its affixes stripped, with
// common substitutions undone (two readings of 1 and !: i and l), each also
// reversed and reduced to its repeating unit. At most 27, no duplicates.
func variants(plain string) []string {
	s := strings.ToLower(norm.NFKC.String(plain))
	var out []string
	add := func(v string, derived bool) {
		if v == "" || (derived && utf8.RuneCountInString(v) < minDerived) {
			return
		}
		for _, o := range out {
			if o == v {
				return
			}
		}
		out = append(out, v)
	}
	add(s, false)
	for _, base := range []string{s, trimSymbols(s), trimAffixes(s)} {
		for _, v := range []string{base, unleet(base, 'i'), unleet(base, 'l')} {
			add(v, true)
			add(reverse(v), true)
			add(unit(v), true)
		}
	}
	return out
}

// trimSymbols strips up to maxSuffix trailing characters that are neither
// letters nor digits ("12345678!", "password!!").
func trimSymbols(s string) string {
	return trimRun(s, 0, maxSuffix, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// trimAffixes strips up to maxPrefix leading and maxSuffix trailing
// characters that are not letters ("1password", "dragon2024!").
func trimAffixes(s string) string {
	return trimRun(s, maxPrefix, maxSuffix, func(r rune) bool { return !unicode.IsLetter(r) })
}

// trimRun strips a leading run of at most pre and a trailing run of at most
// post characters matching f; a longer run is left whole.
func trimRun(s string, pre, post int, f func(rune) bool) string {
	if t := strings.TrimLeftFunc(s, f); utf8.RuneCountInString(s)-utf8.RuneCountInString(t) <= pre {
		s = t
	}
	if t := strings.TrimRightFunc(s, f); utf8.RuneCountInString(s)-utf8.RuneCountInString(t) <= post {
		s = t
	}
	return s
}

// unleet undoes the usual substitutions (p@ssw0rd); one stands for the
// ambiguous 1, ! and | (i or l).
func unleet(s string, one rune) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '0':
			return 'o'
		case '1', '!', '|':
			return one
		case '2':
			return 'z'
		case '3':
			return 'e'
		case '4', '@':
			return 'a'
		case '5', '$':
			return 's'
		case '7', '+':
			return 't'
		case '8':
			return 'b'
		case '9':
			return 'g'
		}
		return r
	}, s)
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// unit returns the shortest string s is two or more copies of
// ("abcabcabc" → "abc"), or "". s is k copies of its first l bytes exactly
// when l divides len(s) and s shifted by l equals itself.
func unit(s string) string {
	for l := 1; l <= len(s)/2; l++ {
		if len(s)%l == 0 && s[l:] == s[:len(s)-l] {
			return s[:l]
		}
	}
	return ""
}

// trivial reports whether v is a pattern the list leaves out: zxcvbn's
// build dropped the passwords its estimator catches by other means
// (data-scripts/count_xato.coffee), so "aaaaaaaa", "abababab", "abcdefgh",
// "87654321" and "abcabcabc" are not on it. v (at least minDerived
// characters) is trivial when it repeats a unit of one or two characters,
// or is a run of consecutive letters or digits, or repeats such a run.
func trivial(v string) bool {
	r := []rune(v)
	if len(r) < minDerived {
		return false
	}
	if u := []rune(unit(v)); len(u) > 0 {
		return len(u) <= 2 || (len(u) >= 3 && sequence(u))
	}
	return sequence(r)
}

// sequence: every rune is the previous one plus 1, or every one minus 1,
// all letters or all digits (abcd, 4321, zyx).
func sequence(r []rune) bool {
	if len(r) < 3 {
		return false
	}
	step := r[1] - r[0]
	if step != 1 && step != -1 {
		return false
	}
	digit := unicode.IsDigit(r[0])
	for i, c := range r {
		if unicode.IsDigit(c) != digit || (!digit && !unicode.IsLetter(c)) || (i > 0 && c-r[i-1] != step) {
			return false
		}
	}
	return true
}
