package password

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// checked is r.Check of a password whose history check, if any, hashed:
// nothing here makes the server busy.
func checked(t testing.TB, r Rules, plain string, c Change) []FieldError {
	t.Helper()
	errs, err := r.Check(context.Background(), plain, c)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func mustHash(t *testing.T, plain, scheme string, factor int) storage.PasswordHash {
	t.Helper()
	h, err := HashLegacy(context.Background(), plain, scheme, factor)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// varied returns n characters from first on, none repeating in a pattern
// the common-password check refuses.
func varied(first rune, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(first + rune(i*i%23))
	}
	return b.String()
}

// TestCheckOrder: Check reports what FusionAuth reports, one stage at a
// time, and a later stage is never reached while an earlier one fails.
func TestCheckOrder(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rules := DefaultRules()
	rules.RememberPreviousPasswords = RememberPrevious{Enabled: true, Count: 2}
	rules.BreachDetection.Enabled = true
	prev := []storage.PasswordHash{mustHash(t, "Old-password-2", PBKDF2SHA256, 1), mustHash(t, "short", PBKDF2SHA256, 1)}
	base := Change{Field: "password", Previous: prev, Now: now, LastUpdate: now.Add(-time.Hour),
		MinimumAge: MinimumAge{Enabled: true, Seconds: 30}}
	with := func(f func(*Change)) Change { c := base; f(&c); return c }
	tests := []struct {
		name  string
		plain string
		c     Change
		want  []string
	}{
		{"empty", "", base, []string{"[blank]password"}},
		{"whitespace only", " \t\n ", base, []string{"[blank]password"}},
		{"user create field", "", with(func(c *Change) { c.Field = "user.password" }), []string{"[blank]user.password"}},
		{"rules before history", "short", base, []string{"[tooShort]password"}},
		{"rules before breach", "1234567", base, []string{"[tooShort]password"}},
		{"bcrypt 50 characters", varied('a', 50), with(func(c *Change) { c.Scheme = Bcrypt }), nil},
		{"bcrypt 51 characters", varied('a', 51), with(func(c *Change) { c.Scheme = Bcrypt }), []string{"[tooLong]password"}},
		{"bcrypt 25 kanji = 75 bytes", varied('漢', 25), with(func(c *Change) { c.Scheme = Bcrypt }), []string{"[tooLong]password"}},
		{"bcrypt 24 kanji = 72 bytes", varied('漢', 24), with(func(c *Change) { c.Scheme = Bcrypt }), nil},
		{"pbkdf2 51 characters", varied('a', 51), base, nil},
		{"too young", "Fresh-and-long-9", with(func(c *Change) { c.LastUpdate = now.Add(-10 * time.Second) }), []string{"[tooYoung]password"}},
		{"old enough", "Fresh-and-long-9", with(func(c *Change) { c.LastUpdate = now.Add(-31 * time.Second) }), nil},
		{"new user has no age", "Fresh-and-long-9", with(func(c *Change) { c.LastUpdate = time.Time{} }), nil},
		{"young before reused", "Old-password-2", with(func(c *Change) { c.LastUpdate = now }), []string{"[tooYoung]password"}},
		{"current password reused", "Old-password-2", base, []string{"[previouslyUsed]password"}},
		{"history off", "Old-password-2", with(func(c *Change) { c.Previous = nil }), nil},
		{"common password", "Password1!", base, []string{"[breachedCommonPassword]password"}},
		{"common variant", "Dr4gon2024!", base, []string{"[breachedCommonPassword]password"}},
		{"strong password", "ribbon-anchor-velvet-88", base, nil},
		{"1 MiB", strings.Repeat("x", 1<<20), base, []string{"[tooLong]password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codes(checked(t, rules, tt.plain, tt.c)); !slices.Equal(got, tt.want) {
				t.Fatalf("Check(%.20q) = %v, want %v", tt.plain, got, tt.want)
			}
		})
	}
	t.Run("breach detection off", func(t *testing.T) {
		r := rules
		r.BreachDetection.Enabled = false
		if got := checked(t, r, "Password1!", base); got != nil {
			t.Fatalf("Check = %v with breach detection off", got)
		}
	})
	t.Run("history disabled", func(t *testing.T) {
		r := rules
		r.RememberPreviousPasswords.Enabled = false
		if got := checked(t, r, "Old-password-2", base); got != nil {
			t.Fatalf("Check = %v with history off", got)
		}
	})
	t.Run("messages", func(t *testing.T) {
		got := checked(t, rules, "Password1!", base)
		if len(got) != 1 || got[0].Field != "password" ||
			got[0].Message != "The [password] property value has been breached and may not be used, please select a different password." {
			t.Fatalf("breached error = %+v", got)
		}
	})
}

// TestCheckHugePasswordDoesNoWork: a 1 MiB password is refused by the
// 1024-byte cap before any rule, KDF or list work. Reused would report the
// unverifiable history entry's error had it run Verify.
func TestCheckHugePasswordDoesNoWork(t *testing.T) {
	huge := strings.Repeat("Aa1!", 1<<18)
	bad := []storage.PasswordHash{{Scheme: "no-such-scheme"}}
	if reused, err := Reused(context.Background(), huge, bad, 1); reused || err != nil {
		t.Fatalf("Reused(1 MiB) = %v, %v: a KDF ran", reused, err)
	}
	r := DefaultRules()
	r.MaxLength = 1 << 21 // even a tenant allowing it cannot lift the cap
	if got := codes(checked(t, r, huge, Change{Field: "password", Previous: bad})); !slices.Equal(got, []string{"[tooLong]password"}) {
		t.Fatalf("Check(1 MiB) = %v", got)
	}
	if _, err := Reused(context.Background(), "x", bad, 1); !errors.Is(err, ErrUnknownScheme) {
		t.Fatalf("the probe hash does not fail Verify: %v", err)
	}
}

// TestReusedConstantWork: every remembered hash up to count is verified,
// whichever one matches; the error from a later, broken entry proves the
// scan went past the match.
func TestReusedConstantWork(t *testing.T) {
	a, b := mustHash(t, "first", PBKDF2SHA256, 1), mustHash(t, "second", Bcrypt, 4)
	md5 := mustHash(t, "third", SaltedMD5, 1)
	broken := storage.PasswordHash{Scheme: PBKDF2SHA256, Factor: 1, Salt: "!!", Hash: "x"}
	tests := []struct {
		name    string
		plain   string
		prev    []storage.PasswordHash
		count   int
		want    bool
		wantErr error
	}{
		{"match first, broken last", "first", []storage.PasswordHash{a, b, broken}, 3, true, ErrMalformedHash},
		{"match legacy hash", "third", []storage.PasswordHash{a, md5}, 2, true, nil},
		{"beyond count", "third", []storage.PasswordHash{a, b, md5}, 2, false, nil},
		{"count larger than history", "second", []storage.PasswordHash{a, b}, 10, true, nil},
		{"count 0", "first", []storage.PasswordHash{a}, 0, false, nil},
		{"negative count", "first", []storage.PasswordHash{a}, -1, false, nil},
		{"no match", "fourth", []storage.PasswordHash{a, b, md5}, 3, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Reused(context.Background(), tt.plain, tt.prev, tt.count)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Reused = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	t.Run("clamped to MaxRemembered", func(t *testing.T) {
		prev := make([]storage.PasswordHash, MaxRemembered+1)
		for i := range prev {
			prev[i] = broken
		}
		prev[MaxRemembered] = a // the 25th: never reached
		if got, _ := Reused(context.Background(), "first", prev, 1000); got {
			t.Fatal("a hash beyond MaxRemembered was verified")
		}
		prev[MaxRemembered-1] = a
		if got, _ := Reused(context.Background(), "first", prev, 1000); !got {
			t.Fatal("the 24th remembered hash was not verified")
		}
	})
}

func TestAtLogin(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	maxAge := MaximumAge{Enabled: true, Days: 180}
	r := DefaultRules()
	r.ValidateOnLogin = true
	r.RequireNumber = true
	r.BreachDetection = BreachDetection{Enabled: true, OnLogin: "RequireChange"}
	tests := []struct {
		name   string
		rules  Rules
		plain  string
		last   time.Time
		maxAge MaximumAge
		want   string
	}{
		{"fine", r, "ribbon-anchor-9", now.AddDate(0, 0, -10), maxAge, ""},
		{"expired", r, "ribbon-anchor-9", now.AddDate(0, 0, -181), maxAge, ReasonExpired},
		{"exactly 180 days is not expired", r, "ribbon-anchor-9", now.AddDate(0, 0, -180), maxAge, ""},
		{"max age off", r, "ribbon-anchor-9", now.AddDate(-5, 0, 0), MaximumAge{Days: 1}, ""},
		{"fails today's rules", r, "ribbon-anchor", now, maxAge, ReasonValidation},
		{"validateOnLogin off", func() Rules { x := r; x.ValidateOnLogin = false; return x }(), "ribbon-anchor", now, maxAge, ""},
		{"common password", r, "Password1!", now, maxAge, ReasonBreached},
		{"record only does not stop login", func() Rules { x := r; x.BreachDetection.OnLogin = "RecordOnly"; return x }(), "Password1!", now, maxAge, ""},
		{"expired comes first", r, "Password1!", now.AddDate(-1, 0, 0), maxAge, ReasonExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rules.AtLogin(tt.plain, LoginIDs{}, tt.maxAge, tt.last, now); got != tt.want {
				t.Fatalf("AtLogin = %q, want %q", got, tt.want)
			}
		})
	}
	rec := r
	rec.BreachDetection.OnLogin = "RecordOnly"
	if !rec.CommonAtLogin("Password1!") || rec.CommonAtLogin("ribbon-anchor-9") {
		t.Fatal("CommonAtLogin with RecordOnly")
	}
	rec.BreachDetection.OnLogin = "Off"
	if rec.CommonAtLogin("Password1!") {
		t.Fatal("CommonAtLogin with onLogin Off")
	}
}
