package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// ErrNUL is a record holding a string with a NUL character (U+0000), which
// no backend stores: PostgreSQL's text refuses the byte and its jsonb the
// escape \u0000 (SQLSTATE 22P05), so a document the SQL backend reads as
// jsonb (a login's lastLoginInstant, a PATCH, a role rename, a search by
// last login) would fail on every later write. docs/decisions.md, "A NUL
// character is refused".
var ErrNUL = errors.New("storage: a string holds a NUL character")

// NULPaths lists the fields of v (a record, encoded as JSON) whose value or
// member name holds a NUL character, as dotted JSON paths under prefix
// (user.firstName, user.data.note, user.preferredLanguages), sorted;
// nil when there are none. A use case reports each as [invalid]<path>.
func NULPaths(prefix string, v any) []string {
	b, err := json.Marshal(v)
	if err != nil || !HasNUL(b) {
		return nil
	}
	var doc any
	if json.Unmarshal(b, &doc) != nil {
		return nil
	}
	var out []string
	walkNUL(prefix, doc, &out)
	sort.Strings(out)
	return out
}

func walkNUL(path string, v any, out *[]string) {
	switch v := v.(type) {
	case string:
		if strings.ContainsRune(v, 0) {
			*out = append(*out, path)
		}
	case []any:
		for i, e := range v {
			if s, ok := e.(string); ok { // a list of strings is one field
				if strings.ContainsRune(s, 0) {
					*out = append(*out, path)
					return
				}
				continue
			}
			walkNUL(path+"["+strconv.Itoa(i)+"]", e, out)
		}
	case map[string]any:
		for k, e := range v {
			p := path + "." + strings.ReplaceAll(k, "\x00", `\u0000`)
			if path == "" {
				p = k
			}
			if strings.ContainsRune(k, 0) {
				*out = append(*out, p)
				continue
			}
			walkNUL(p, e, out)
		}
	}
}

// HasNUL reports whether the JSON text b holds an escaped NUL (\u0000 whose
// backslash is not itself escaped): encoding/json writes U+0000 so.
func HasNUL(b []byte) bool {
	esc := []byte(`\u0000`)
	for off := 0; ; {
		i := bytes.Index(b[off:], esc)
		if i < 0 {
			return false
		}
		i += off
		k := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			k++
		}
		if k%2 == 0 {
			return true
		}
		off = i + 1
	}
}
