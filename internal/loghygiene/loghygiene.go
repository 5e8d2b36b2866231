package loghygiene

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Buffer collects log output; it is safe for concurrent writers (handlers
// log from many request goroutines).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// NewLogger is the production text format at debug level, writing to w: the
// most verbose configuration an operator can choose.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// jwtLike matches the start of a JWS compact serialisation: a base64url JSON
// header ("eyJ" is `{"`) followed by a dot and more base64url.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)

// Leaks lists each secret (of at least 4 bytes) found in logs, quoted or
// not, and every JWT-looking string. Empty secrets are ignored.
func Leaks(logs string, secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		quoted := strings.Trim(strconv.Quote(s), `"`)
		if strings.Contains(logs, s) || strings.Contains(logs, quoted) {
			out = append(out, fmt.Sprintf("secret %q", abbreviate(s)))
		}
	}
	for _, m := range jwtLike.FindAllString(logs, 5) {
		out = append(out, fmt.Sprintf("JWT-like %q", abbreviate(m)))
	}
	return out
}

func abbreviate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// ForeignLines returns the lines that do not begin a text-handler record
// ("time=..."). User input with CR or LF that escaped quoting shows up here.
func ForeignLines(logs string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(logs, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if !strings.HasPrefix(line, "time=") {
			out = append(out, line)
		}
	}
	return out
}

// Records parses text-handler output into one attribute map per line.
func Records(logs string) []map[string]string {
	var out []map[string]string
	for _, line := range strings.Split(logs, "\n") {
		if line != "" {
			out = append(out, parseLine(line))
		}
	}
	return out
}

// Events returns the records whose msg is "security event".
func Events(logs string) []map[string]string {
	var out []map[string]string
	for _, r := range Records(logs) {
		if r["msg"] == "security event" {
			out = append(out, r)
		}
	}
	return out
}

// parseLine reads key=value pairs, values either bare or Go-quoted (the
// text handler quotes a value with spaces, quotes or control characters).
func parseLine(line string) map[string]string {
	m := map[string]string{}
	for line != "" {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			break
		}
		key, rest := line[:eq], line[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				m[key] = rest
				break
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else if sp := strings.IndexByte(rest, ' '); sp >= 0 {
			val, rest = rest[:sp], rest[sp:]
		} else {
			val, rest = rest, ""
		}
		m[key] = val
		line = rest
	}
	return m
}
