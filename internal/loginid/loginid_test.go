package loginid

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Ada@Example.com": "Ada@Example.com", // ASCII: kept, storage folds its case
		"ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ":          "ada@example.com", // full width
		"ＡＤＡ@example.com":          "ADA@example.com",
		"\u212Aate@example.com":    "Kate@example.com", // Kelvin sign
		"Jürgen@Example.com":       "jürgen@example.com",
		"ju\u0308rgen@example.com": "jürgen@example.com", // decomposed
		"ǅ@example.com":            "dž@example.com",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLooksLike(t *testing.T) {
	for id, want := range map[string]bool{
		"ada@example.com":      false,
		"ａｄａ@example.com":      false, // normalizes to the same id instead
		"adıa@example.com":     true,  // dotless i
		"аda@example.com":      true,  // Cyrillic а, mixed script
		"асе@ехаmрlе.com":      true,  // all-Cyrillic look-alike of ace@example.com
		"pаypal":               true,
		"jürgen@example.com":   false,
		"иван@пример.рф":       false, // Cyrillic, not drawn like Latin
		"иван@example.com":     false, // one script per label
		"δημήτρης@example.com": false,
		// Armenian: օ, ս, հ, ո drawn like o, u, h, n
		"b\u0585b@example.com":     true,  // mixed, and spells bob@example.com
		"\u0585\u057d\u0570\u0578": true,  // all-Armenian "ouhn"
		"\u0531\u0580\u0561\u0574": false, // Արամ: Armenian, spells no ASCII id
		// a label mixing Latin with any other script
		"ad\u0905@example.com":  true,  // Devanagari
		"ad\u05d0@example.com":  true,  // Hebrew
		"ada\u0661@example.com": true,  // Arabic-Indic digit one
		"ad\u10d0@example.com":  true,  // Georgian
		"ada@exampl\u13ac.com":  true,  // Cherokee
		"\u0430\u03b2\u0434":    true,  // Cyrillic and Greek in one label
		"ad\u3042\u3093\u3054":  false, // Latin, Hiragana: TR39 highly restrictive
		"山田taro":                false, // Latin, Han
		"山田タロウ":                 false, // Han, Katakana
		"김kim":                  false, // Hangul, Latin
		"王ㄅㄆ":                   false, // Han, Bopomofo
		"\u3042\uac00":          true,  // Hiragana with Hangul is not one of the sets
		"用户@例子.广告":              false,
		"山田太郎":                  false,
		"müller@example.de":     false,
		"josé":                  false,
		"мария":                 false,
		"محمد@example.com":      false,
	} {
		if got := LooksLike(id); got != want {
			t.Errorf("LooksLike(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestDisallowed: invisible, format, control and other characters PRECIS's
// IdentifierClass disallows make an identifier that looks like another one;
// ordinary internationalised identifiers pass.
func TestDisallowed(t *testing.T) {
	for _, tc := range []struct {
		id, why string
		want    bool
	}{
		{"ada\u200b@example.com", "zero-width space (Cf, default ignorable)", true},
		{"ada\u200d", "zero-width joiner outside a virama context", true},
		{"ada\u200c", "zero-width non-joiner outside its contexts", true},
		{"b\u00adob@example.com", "soft hyphen", true},
		{"bob\u2060@example.com", "word joiner", true},
		{"bob\ufeff@example.com", "zero-width no-break space (BOM)", true},
		{"bob@example.com\u200e", "left-to-right mark (bidi control)", true},
		{"\u202ebob@example.com", "right-to-left override (bidi control)", true},
		{"bob\u2066@example.com", "left-to-right isolate (bidi control)", true},
		{"bob\u061c", "Arabic letter mark", true},
		{"bob\u180e", "Mongolian vowel separator", true},
		{"bob\U000e0041", "tag character", true},
		{"bob\ufe0f", "variation selector (Mn, default ignorable)", true},
		{"bob\u034f", "combining grapheme joiner", true},
		{"bob\u3164", "Hangul filler (Lo, default ignorable)", true},
		{"bob\uffa0", "half-width Hangul filler", true},
		{"bob\u115f", "Hangul choseong filler", true},
		{"bob\u2800", "Braille blank (a symbol drawn as nothing)", true},
		{"bob\u0007", "control", true},
		{"bob\u0085", "C1 control", true},
		{"bob\u2028", "line separator", true},
		{"bob\ue000", "private use", true},
		{"bob\U000e0100", "variation selector supplement", true},
		{"bob\u0600", "Arabic number sign (Cf, not default ignorable)", true},
		{"bob\u00a0", "no-break space: NFKC makes it a trailing space", true},
		{"bob\u1680", "Ogham space mark", true},
		{"bob ", "trailing space", true},
		{" bob", "leading space", true},
		{"bob  smith", "doubled space", true},
		{"bob\u2013smith", "en dash, drawn like a hyphen", true},
		{"bob\u2605", "symbol", true},

		{"ada@example.com", "ASCII", false},
		{"o'brien+tag_x-y.z@example.com", "ASCII punctuation of local parts", false},
		{"bob smith", "RFC 8265 userparts", false},
		{"müller@example.de", "Latin with diaeresis", false},
		{"mu\u0308ller@example.de", "decomposed: NFKC composes it", false},
		{"josé", "Latin with acute", false},
		{"мария", "Cyrillic", false},
		{"\u0531\u0580\u0561\u0574", "Armenian", false},
		{"山田太郎", "Han", false},
		{"やまだ・たろう", "Hiragana with the katakana middle dot", false},
		{"用户@例子.广告", "Chinese address", false},
		{"김민준", "Hangul", false},
		{"محمد@example.com", "Arabic local part at a Latin domain", false},
		{"\u0915\u094d\u200d\u0937", "zero-width joiner after a virama (RFC 5892 CONTEXTJ)", false},
		{"ａｄａ", "full width: NFKC maps it", false},
		{"ǅ", "title-case digraph: folded to dž", false},
		{"\ufb01sh", "ligature fi: NFKC maps it", false},
	} {
		if got := Disallowed(tc.id); got != tc.want {
			t.Errorf("Disallowed(%q) (%s) = %v, want %v", tc.id, tc.why, got, tc.want)
		}
	}
}
