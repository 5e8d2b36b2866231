package loginid

import "unicode"

// The scripts TR39's "highly restrictive" level lets share a label, as
// bits of a set.
const (
	latin = 1 << iota
	han
	hiragana
	katakana
	bopomofo
	hangul
)

var restrictive = []struct {
	table *unicode.RangeTable
	bit   int
}{
	{unicode.Latin, latin}, {unicode.Han, han}, {unicode.Hiragana, hiragana},
	{unicode.Katakana, katakana}, {unicode.Bopomofo, bopomofo}, {unicode.Hangul, hangul},
}

// allowedMixes are the script sets a highly restrictive label may draw on
// (Unicode TR39 §5.2): Latin with Japanese, with Chinese, with Korean.
var allowedMixes = []int{
	latin | han | hiragana | katakana,
	latin | han | bopomofo,
	latin | han | hangul,
}

// mixed reports a label that is not highly restrictive (Unicode TR39
// §5.2): its letters come from more than one script, and the scripts are
// not one of allowedMixes. Common and Inherited characters (digits,
// punctuation, combining marks) belong to no script here. Go's tables have
// scripts, not Script_Extensions, which TR39 uses; the difference is in
// Common and Inherited characters shared by a few scripts, ignored here.
func mixed(label string) bool {
	set := 0
	var other *unicode.RangeTable // the one script outside the six, if any
	for _, r := range label {
		if unicode.In(r, unicode.Common, unicode.Inherited) {
			continue
		}
		if bit := restrictiveBit(r); bit != 0 {
			set |= bit
			continue
		}
		s := scriptOf(r)
		if other != nil && s != other {
			return true
		}
		other = s
	}
	if other != nil {
		return set != 0
	}
	for _, m := range allowedMixes {
		if set&^m == 0 {
			return false
		}
	}
	return true
}

func restrictiveBit(r rune) int {
	for _, s := range restrictive {
		if unicode.Is(s.table, r) {
			return s.bit
		}
	}
	return 0
}

// scriptOf is r's script table (nil for an unassigned code point, which
// Disallowed refuses anyway).
func scriptOf(r rune) *unicode.RangeTable {
	for _, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return t
		}
	}
	return nil
}
