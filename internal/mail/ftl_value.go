package mail

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
)

type kind int

const (
	kMissing kind = iota
	kStr
	kNum
	kBool
	kHash
	kSeq
)

var kindNames = map[kind]string{kMissing: "missing", kStr: "a string", kNum: "a number", kBool: "a boolean", kHash: "a hash", kSeq: "a sequence"}

// val is a template value. Strings carry where they came from: safe is true
// for text the template author wrote (literals) and for ?html output; a
// string from the data is never safe, so an HTML template escapes it when it
// is printed, and no value is ever parsed as template source.
type val struct {
	k    kind
	s    string
	safe bool
	n    float64
	b    bool
	h    map[string]any
	q    []any
}

// fromData converts a data value (as produced by encoding/json: string,
// float64, bool, map[string]any, []any, nil) to a template value.
func fromData(v any) val {
	switch x := v.(type) {
	case nil:
		return val{}
	case string:
		return val{k: kStr, s: x}
	case bool:
		return val{k: kBool, b: x}
	case float64:
		return val{k: kNum, n: x}
	case int:
		return val{k: kNum, n: float64(x)}
	case int64:
		return val{k: kNum, n: float64(x)}
	case json.Number:
		f, _ := x.Float64()
		return val{k: kNum, n: f}
	case map[string]any:
		return val{k: kHash, h: x}
	case []any:
		return val{k: kSeq, q: x}
	case []string:
		q := make([]any, len(x))
		for i, s := range x {
			q[i] = s
		}
		return val{k: kSeq, q: q}
	}
	// Anything else is a caller's mistake; show it as text, never as source.
	return val{k: kStr, s: fmt.Sprint(v)}
}

// text is the printed form of a string or number. Numbers print plainly
// (1234567, 0.5): FreeMarker would group digits by locale, which only makes
// ids and instants wrong.
func (v val) text() (string, bool) {
	switch v.k {
	case kStr:
		return v.s, true
	case kNum:
		if v.n == math.Trunc(v.n) && math.Abs(v.n) < 1e15 {
			return strconv.FormatInt(int64(v.n), 10), true
		}
		return strconv.FormatFloat(v.n, 'f', -1, 64), true
	case kBool:
		return strconv.FormatBool(v.b), true
	}
	return "", false
}

// hasContent is FreeMarker's ?has_content: not missing, and not an empty
// string, sequence or hash.
func (v val) hasContent() bool {
	switch v.k {
	case kMissing:
		return false
	case kStr:
		return v.s != ""
	case kHash:
		return len(v.h) > 0
	case kSeq:
		return len(v.q) > 0
	}
	return true
}

// equal compares two values of the same kind; other pairs are an error, as
// in FreeMarker.
func equal(a, b val) (bool, bool) {
	if a.k != b.k {
		return false, false
	}
	switch a.k {
	case kStr:
		return a.s == b.s, true
	case kNum:
		return a.n == b.n, true
	case kBool:
		return a.b == b.b, true
	}
	return false, false
}

// urlEscape is FreeMarker's ?url with UTF-8: every byte except letters,
// digits and _-.!~*'() becomes %XX, so a value cannot end a query parameter
// or add another.
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// htmlEscape escapes < > & ' " (FreeMarker's ?html, and what every value in
// an HTML template gets).
func htmlEscape(s string) string { return html.EscapeString(s) }

// sortedKeys gives #list over a hash a stable order (JSON objects decoded
// into Go maps have none).
func sortedKeys(h map[string]any) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
