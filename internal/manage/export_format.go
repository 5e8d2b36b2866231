package manage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // an export's zoneId names a zone whether or not the host has a zone database
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ExportOptions is how an export writes its instants (audit-logs.mdx
// "Export Audit Logs", login/export.mdx): dateTimeSecondsFormat, a Java
// DateTimeFormatter pattern, and zoneId, a time zone. Empty fields take
// FusionAuth's defaults: "M/d/yyyy hh:mm:ss a z" and the system
// configuration's reportTimezone.
type ExportOptions struct {
	DateTimeSecondsFormat string `json:"dateTimeSecondsFormat"`
	ZoneID                string `json:"zoneId"`
}

// DefaultExportFormat is FusionAuth's dateTimeSecondsFormat default.
const DefaultExportFormat = "M/d/yyyy hh:mm:ss a z"

// maxExportFormat bounds the pattern: it is compiled once, but a pattern is
// a few dozen characters.
const maxExportFormat = 256

// InstantFormat writes an export's instants in its zone and pattern.
type InstantFormat struct {
	loc   *time.Location
	parts []func(b *strings.Builder, t time.Time)
}

// Format writes ms (since the epoch) as the export's options say.
func (f InstantFormat) Format(ms int64) string {
	t := time.UnixMilli(ms).In(f.loc)
	var b strings.Builder
	for _, p := range f.parts {
		p(&b, t)
	}
	return b.String()
}

// exportFormat validates o: an unknown zone or a pattern latchkey cannot
// write is 400 [invalid]zoneId / [invalid]dateTimeSecondsFormat (FusionAuth
// answers 500 for both). The default zone is the system configuration's
// reportTimezone, UTC when that names no zone.
func exportFormat(ctx context.Context, configs interface {
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
}, o ExportOptions) (InstantFormat, error) {
	e := &Invalid{}
	var f InstantFormat
	zone := o.ZoneID
	if zone == "" {
		c, err := configs.GetSystemConfiguration(ctx)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return f, err
		}
		if c.ReportTimezone == "" {
			c.ReportTimezone = DefaultSystemConfiguration().ReportTimezone
		}
		if f.loc = loadZone(c.ReportTimezone); f.loc == nil {
			f.loc = time.UTC
		}
	} else if f.loc = loadZone(zone); f.loc == nil {
		e.Field("invalid", "zoneId", "Unknown time zone ["+truncate(zone, 64)+"]. Use a zone of the tz database such as America/Denver, or an offset such as +02:00.")
	}
	pattern := o.DateTimeSecondsFormat
	if pattern == "" {
		pattern = DefaultExportFormat
	}
	var err error
	if f.parts, err = compileJavaPattern(pattern); err != nil {
		e.Field("invalid", "dateTimeSecondsFormat", "Invalid [dateTimeSecondsFormat]: "+err.Error()+".")
	}
	return f, e.Err()
}

var (
	zoneName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$`)
	zoneOffset = regexp.MustCompile(`^[+-](\d{2}):(\d{2})$`)
)

// loadZone is a zone of the tz database (America/Denver, US/Mountain, UTC),
// Z, or a fixed offset ±HH:MM; nil for anything else. "Local" (the host's
// zone in Go, no zone in Java) is refused.
func loadZone(name string) *time.Location {
	if name == "Z" {
		return time.UTC
	}
	if m := zoneOffset.FindStringSubmatch(name); m != nil {
		h, _ := strconv.Atoi(m[1])
		mins, _ := strconv.Atoi(m[2])
		if h > 18 || mins > 59 {
			return nil
		}
		secs := (h*60 + mins) * 60
		if name[0] == '-' {
			secs = -secs
		}
		return time.FixedZone(name, secs)
	}
	if len(name) > 64 || name == "Local" || !zoneName.MatchString(name) {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// maxLetters is how many times each pattern letter latchkey writes may
// repeat (Java's DateTimeFormatterBuilder refuses more, "Too many pattern
// letters"); y repeats freely.
var maxLetters = map[byte]int{'G': 5, 'y': 1 << 10, 'u': 1 << 10, 'M': 5, 'L': 5, 'd': 2, 'D': 3, 'E': 5,
	'a': 1, 'h': 2, 'K': 2, 'k': 2, 'H': 2, 'm': 2, 's': 2, 'S': 9, 'V': 2, 'z': 4, 'Z': 5, 'X': 5, 'x': 5}

// compileJavaPattern turns a Java DateTimeFormatter pattern
// (https://docs.oracle.com/javase/8/docs/api/java/time/format/DateTimeFormatter.html,
// "Patterns for Formatting and Parsing") into writers: the letters above,
// 'quoted text', ” for a quote, [ ] optional sections (always written: an
// instant has every field) and any other character as itself. A letter it
// does not write, a reserved character ({ } #) or an unclosed quote is an
// error, never a silent literal.
func compileJavaPattern(p string) ([]func(*strings.Builder, time.Time), error) {
	if len(p) > maxExportFormat {
		return nil, fmt.Errorf("longer than %d characters", maxExportFormat)
	}
	var out []func(*strings.Builder, time.Time)
	lit := func(s string) {
		out = append(out, func(b *strings.Builder, _ time.Time) { b.WriteString(s) })
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			end := i + 1
			var text strings.Builder
			for {
				j := strings.IndexByte(p[end:], '\'')
				if j < 0 {
					return nil, errors.New("a quote is not closed")
				}
				text.WriteString(p[end : end+j])
				end += j + 1
				if end < len(p) && p[end] == '\'' { // '' inside quotes
					text.WriteByte('\'')
					end++
					continue
				}
				break
			}
			if end == i+2 { // '' alone is a quote
				lit("'")
			} else {
				lit(text.String())
			}
			i = end
		case c == '[' || c == ']':
			i++
		case c == '{' || c == '}' || c == '#':
			return nil, fmt.Errorf("the character [%c] is reserved", c)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			max, ok := maxLetters[c]
			if !ok {
				return nil, fmt.Errorf("the pattern letter [%c] is not supported", c)
			}
			if n > max || c == 'V' && n != 2 {
				return nil, fmt.Errorf("too many pattern letters [%s]", p[i:i+n])
			}
			out = append(out, field(c, n))
			i += n
		default:
			// A literal character: the whole UTF-8 sequence, not its first
			// byte (yyyy年MM月 keeps its 年).
			_, size := utf8.DecodeRuneInString(p[i:])
			lit(p[i : i+size])
			i += size
		}
	}
	return out, nil
}

// field writes the letter c repeated n times (compileJavaPattern).
func field(c byte, n int) func(*strings.Builder, time.Time) {
	num := func(get func(time.Time) int) func(*strings.Builder, time.Time) {
		return func(b *strings.Builder, t time.Time) { b.WriteString(pad(get(t), n)) }
	}
	text := func(get func(time.Time) string) func(*strings.Builder, time.Time) {
		return func(b *strings.Builder, t time.Time) { b.WriteString(get(t)) }
	}
	switch c {
	case 'G':
		return text(func(time.Time) string {
			if n == 4 {
				return "Anno Domini"
			}
			if n == 5 {
				return "A"
			}
			return "AD"
		})
	case 'y', 'u':
		if n == 2 {
			return text(func(t time.Time) string { return pad(t.Year()%100, 2) })
		}
		return num(time.Time.Year)
	case 'M', 'L':
		switch n {
		case 3:
			return text(func(t time.Time) string { return t.Month().String()[:3] })
		case 4:
			return text(func(t time.Time) string { return t.Month().String() })
		case 5:
			return text(func(t time.Time) string { return t.Month().String()[:1] })
		}
		return num(func(t time.Time) int { return int(t.Month()) })
	case 'd':
		return num(time.Time.Day)
	case 'D':
		return num(time.Time.YearDay)
	case 'E':
		switch n {
		case 4:
			return text(func(t time.Time) string { return t.Weekday().String() })
		case 5:
			return text(func(t time.Time) string { return t.Weekday().String()[:1] })
		}
		return text(func(t time.Time) string { return t.Weekday().String()[:3] })
	case 'a':
		return text(func(t time.Time) string {
			if t.Hour() < 12 {
				return "AM"
			}
			return "PM"
		})
	case 'h':
		return num(func(t time.Time) int { return (t.Hour()+11)%12 + 1 })
	case 'K':
		return num(func(t time.Time) int { return t.Hour() % 12 })
	case 'k':
		return num(func(t time.Time) int { return (t.Hour()+23)%24 + 1 })
	case 'H':
		return num(time.Time.Hour)
	case 'm':
		return num(time.Time.Minute)
	case 's':
		return num(time.Time.Second)
	case 'S':
		return text(func(t time.Time) string { return fmt.Sprintf("%09d", t.Nanosecond())[:n] })
	case 'V':
		return text(func(t time.Time) string { return t.Location().String() })
	case 'z':
		if n == 4 {
			return text(func(t time.Time) string { return t.Location().String() })
		}
		return text(func(t time.Time) string { name, _ := t.Zone(); return name })
	}
	return offsetField(c, n)
}

// offsetField writes the zone offset letters Z, X and x.
func offsetField(c byte, n int) func(*strings.Builder, time.Time) {
	return func(b *strings.Builder, t time.Time) {
		_, secs := t.Zone()
		if secs == 0 && c == 'X' || secs == 0 && c == 'Z' && n == 5 {
			b.WriteString("Z")
			return
		}
		sign := "+"
		if secs < 0 {
			sign, secs = "-", -secs
		}
		h, m := pad(secs/3600, 2), pad(secs/60%60, 2)
		switch {
		case c == 'Z' && n == 4:
			if secs == 0 {
				b.WriteString("GMT")
				return
			}
			b.WriteString("GMT" + sign + h + ":" + m)
		case c == 'Z' && n < 4, (c == 'X' || c == 'x') && (n == 2 || n == 4):
			b.WriteString(sign + h + m)
		case c == 'Z', n == 3, n == 5:
			b.WriteString(sign + h + ":" + m)
		default: // X, x: the hour, and the minutes when there are some
			b.WriteString(sign + h)
			if m != "00" {
				b.WriteString(m)
			}
		}
	}
}

// pad writes v with at least n digits.
func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}
