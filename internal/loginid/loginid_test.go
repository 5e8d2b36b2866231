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
	} {
		if got := LooksLike(id); got != want {
			t.Errorf("LooksLike(%q) = %v, want %v", id, got, want)
		}
	}
}
