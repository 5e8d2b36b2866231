package breached

import (
	"strings"
	"testing"
)

func TestListLoaded(t *testing.T) {
	if n := Len(); n != 47023 {
		t.Fatalf("Len() = %d, want the 47,023 passwords of zxcvbn's data/passwords.txt", n)
	}
	for i := 1; i < Len(); i++ {
		if entry(i-1) >= entry(i) {
			t.Fatalf("list not sorted or not unique at %d: %q, %q", i, entry(i-1), entry(i))
		}
	}
	if entry(0) == "" || strings.ToLower(entry(Len()-1)) != entry(Len()-1) {
		t.Fatal("list entries must be lowercase and non-empty")
	}
}

// TestCommonRefused: listed passwords and their obvious variants.
func TestCommonRefused(t *testing.T) {
	for _, pw := range []string{
		"password", "123456", "qwerty", "dragon", "trustno1", "1qaz2wsx", "iloveyou",
		"Password", "PASSWORD", "pAsSwOrD", // case
		"ＰＡＳＳＷＯＲＤ", "ｐａｓｓｗｏｒｄ１", // full-width (NFKC)
		"P@ssw0rd", "p4$$w0rd", "tru5tn0!", "dr4g0n", // substitutions, both readings of 1/!
		"Password1!", "password2024", "Dragon2024!", "monkey123456", // suffixes up to 6
		"1password", "!!!!password", "1234dragon", // prefixes up to 4
		"12345678!", "qwerty!!", // symbol suffixes on digit-only and plain entries
		"drowssap", "nogard2024", // reversed
		"passwordpassword", "dragondragondragon", "abcabcabcabc", // repeated
		"password ", " password", // spaces are affixes too
		"aaaaaaaa", "abababab", "12121212", "abcdefgh", "87654321", "zyxwvuts", "abcabcabcabc", "aaaaaaaa2024!", // patterns zxcvbn's list omits
	} {
		if !Common(pw) {
			t.Errorf("Common(%q) = false, want true", pw)
		}
	}
}

// TestCommonAccepted: strong and merely word-containing passwords pass, and
// the affix limits are where the documentation says.
func TestCommonAccepted(t *testing.T) {
	for _, pw := range []string{
		"correct horse battery staple", "xK9#mQ2$vL7p", "my dragon flies north",
		"ribbon-anchor-velvet-88", "pässwörd-ünïcode-ẞ", "Ωμέγα-λέξη-κλειδί",
		"dragon1234567",                    // 7 digits after: past maxSuffix
		"12345dragon",                      // 5 before: past maxPrefix
		"drag0n-and-more",                  // a listed word inside, not the whole
		"acegikmo", "13579bdf", "abcdxyz1", // not one run of consecutive characters
		"", "a",
	} {
		if Common(pw) {
			t.Errorf("Common(%q) = true, want false", pw)
		}
	}
}

// TestCommonAdversarial: hostile input neither panics nor costs more than
// the caller's cap allows.
func TestCommonAdversarial(t *testing.T) {
	for _, pw := range []string{
		"\xff\xfe\xfd", "pass\x00word", strings.Repeat("é", 512), strings.Repeat("ab", 512),
		strings.Repeat("\u0300", 300), // combining marks only: NFKC work, no base letter
	} {
		_ = Common(pw) // must return
	}
	huge := strings.Repeat("password", 1<<17) // 1 MiB of a listed word
	if Common(huge) {
		t.Fatal("an input over the 1024-byte cap was examined")
	}
	if !Common(strings.Repeat("password", 128)) {
		t.Fatal("1024 bytes of a repeated listed word not refused")
	}
}

// FuzzCommon: never panics, and for ASCII the answer does not depend on
// letter case.
func FuzzCommon(f *testing.F) {
	for _, s := range []string{"password", "P@ssw0rd1", "dragon2024!", "correct horse", "\xff", "ＰＡＳＳ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Common(s)
		for _, r := range s {
			if r >= 0x80 {
				return
			}
		}
		if swapped := swapCase(s); Common(swapped) != got {
			t.Fatalf("Common(%q) = %v but Common(%q) = %v", s, got, swapped, !got)
		}
	})
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 32
		case r >= 'A' && r <= 'Z':
			return r + 32
		}
		return r
	}, s)
}

// BenchmarkCommon: one lookup of every variant, for a listed and an
// unlisted password and for 256 bytes of hostile input.
func BenchmarkCommon(b *testing.B) {
	Preload()
	for name, pw := range map[string]string{"listed": "P@ssw0rd2024!", "strong": "ribbon-anchor-velvet-88", "256 bytes": strings.Repeat("xY9!", 64)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_ = Common(pw)
			}
		})
	}
}
