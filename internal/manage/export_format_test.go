package manage

import (
	"testing"
	"time"
)

// TestJavaPatterns: the Java DateTimeFormatter letters an export writes,
// against what java.time writes for the same instant and zone.
func TestJavaPatterns(t *testing.T) {
	at := time.Date(2025, 5, 12, 20, 46, 44, 123_000_000, time.UTC).UnixMilli()
	for _, c := range []struct{ zone, pattern, want string }{
		{"America/Denver", DefaultExportFormat, "5/12/2025 02:46:44 PM MDT"},
		{"America/Denver", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2025-05-12T14:46:44.123-06:00"},
		{"US/Mountain", "EEEE d MMMM yy, h:mm a", "Monday 12 May 25, 2:46 PM"},
		{"UTC", "EEE MMM dd HH:mm:ss X Z ZZZZZ", "Mon May 12 20:46:44 Z +0000 Z"},
		{"+05:30", "HH:mm xxx ZZZZ", "02:16 +05:30 GMT+05:30"},
		{"Asia/Tokyo", "K k D 'o''clock' ''", "5 5 133 o'clock '"},
		{"Europe/Paris", "[yyyy] G VV", "2025 AD Europe/Paris"},
		{"Asia/Tokyo", "yyyy年MM月dd日 à HH:mm", "2025年05月13日 à 05:46"}, // literals beyond ASCII kept whole
	} {
		f, err := exportFormatFor(c.zone, c.pattern)
		if err != nil {
			t.Errorf("%s %q: %v", c.zone, c.pattern, err)
			continue
		}
		if got := f.Format(at); got != c.want {
			t.Errorf("%s %q = %q, want %q", c.zone, c.pattern, got, c.want)
		}
	}
	for _, bad := range []string{"Q", "yyyy-MM-dd {", "#", "'open", "HHH", "aa", "V", "nnn", "e"} {
		if _, err := compileJavaPattern(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func exportFormatFor(zone, pattern string) (InstantFormat, error) {
	f := InstantFormat{loc: loadZone(zone)}
	var err error
	f.parts, err = compileJavaPattern(pattern)
	return f, err
}
