package kickstart

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
)

// substituter resolves FusionAuth's Kickstart placeholders. It works on the
// parsed JSON tree, never on the raw text, so a value (an environment
// variable, an included text file) can never break out of its JSON string
// and inject members (docs/decisions.md, "Kickstart substitution on the tree").
type substituter struct {
	root      *os.Root // the Kickstart file's folder: includes never leave it
	budget    int64    // bytes all files may still add up to (maxTotalBytes)
	getenv    func(string) (string, bool)
	raw       map[string]string // variables as written
	vars      map[string]string // resolved variables
	resolving map[string]bool   // cycle detection
}

// resolveVar returns variable name, resolving its own placeholders once (so
// #{UUID()} in a variable is one UUID everywhere the variable is used).
func (s *substituter) resolveVar(name string) (string, error) {
	if v, ok := s.vars[name]; ok {
		return v, nil
	}
	raw, ok := s.raw[name]
	if !ok {
		return "", fmt.Errorf("#{%s}: no such variable in \"variables\"", name)
	}
	if s.resolving[name] {
		return "", fmt.Errorf("variable %q refers to itself", name)
	}
	s.resolving[name] = true
	v, err := s.text(raw)
	delete(s.resolving, name)
	if err != nil {
		return "", fmt.Errorf("variable %q: %w", name, err)
	}
	s.vars[name] = v
	return v, nil
}

// text substitutes #{...} and @{...} in one string. `\#{` is a literal `#{`.
// Substituted values are not scanned again.
func (s *substituter) text(in string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(in); {
		switch {
		case strings.HasPrefix(in[i:], `\#{`):
			b.WriteString("#{")
			i += 3
		case strings.HasPrefix(in[i:], "#{"), strings.HasPrefix(in[i:], "@{"):
			end := strings.IndexByte(in[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated %q in %q", in[i:i+2], in)
			}
			inner := in[i+2 : i+end]
			var v string
			var err error
			if in[i] == '@' {
				v, err = s.include(inner)
			} else {
				v, err = s.placeholder(inner)
			}
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(in[i])
			i++
		}
	}
	return b.String(), nil
}

func (s *substituter) placeholder(name string) (string, error) {
	switch {
	case name == "UUID()":
		return uuid.NewString(), nil
	case strings.HasPrefix(name, "ENV."):
		v, ok := s.getenv(strings.TrimPrefix(name, "ENV."))
		if !ok {
			// An unset variable silently becoming "" could create an API
			// key or password that is empty; refuse instead.
			return "", fmt.Errorf("#{%s}: environment variable %s is not set", name, strings.TrimPrefix(name, "ENV."))
		}
		return v, nil
	}
	return s.resolveVar(name)
}

// include reads a file named by @{} or &{}: a relative path inside the
// Kickstart file's folder, without "..", through os.Root, so a symlink that
// leads out of the folder is refused too. The Kickstart file may come from a
// less trusted place than the host (a config repository, a volume); it must
// not be a way to read the host's other files into the database.
func (s *substituter) include(rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) || slices.Contains(strings.Split(filepath.ToSlash(rel), "/"), "..") {
		return "", fmt.Errorf("include %q: must be a relative path inside the Kickstart file's folder, without \"..\"", rel)
	}
	f, err := s.root.Open(rel)
	if err != nil {
		return "", fmt.Errorf("include %q: %w (includes must stay inside the Kickstart file's folder)", rel, err)
	}
	defer f.Close()
	b, err := s.read(f)
	if err != nil {
		return "", fmt.Errorf("include %q: %w", rel, err)
	}
	return string(b), nil
}

// read reads a regular file of at most maxFileBytes, within the budget.
func (s *substituter) read(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file") // a FIFO or device could block or never end
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxFileBytes)
	}
	if s.budget -= int64(len(b)); s.budget < 0 {
		return nil, fmt.Errorf("the Kickstart file and its includes add up to more than %d bytes", maxTotalBytes)
	}
	return b, nil
}

// tree substitutes every string and member name in v. A string that is
// exactly &{file.json} is replaced by that file's JSON, itself substituted.
// path names v in errors ("requests[2].body.user").
func (s *substituter) tree(v any, path string, depth int) (any, error) {
	if depth > 32 {
		return nil, fmt.Errorf("&{} includes nest more than 32 deep")
	}
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "&{") && strings.HasSuffix(v, "}") {
			text, err := s.include(v[2 : len(v)-1])
			if err != nil {
				return nil, err
			}
			var inc any
			if err := json.Unmarshal([]byte(text), &inc, jsonnum.Options); err != nil {
				return nil, fmt.Errorf("include %q: %w", v, err)
			}
			return s.tree(inc, path, depth+1)
		}
		return s.text(v)
	case []any:
		for i := range v {
			var err error
			if v[i], err = s.tree(v[i], fmt.Sprintf("%s[%d]", path, i), depth); err != nil {
				return nil, err
			}
		}
		return v, nil
	case map[string]any:
		return s.object(v, path, depth)
	}
	return v, nil
}

// object substitutes an object's member names and values. Two names that
// become equal are an error: keeping either value would depend on map order.
func (s *substituter) object(v map[string]any, path string, depth int) (any, error) {
	out := make(map[string]any, len(v))
	from := make(map[string]string, len(v))
	for _, k := range slices.Sorted(maps.Keys(v)) {
		nk, err := s.text(k)
		if err != nil {
			return nil, err
		}
		at := nk
		if path != "" {
			at = path + "." + nk
		}
		if prev, dup := from[nk]; dup {
			return nil, fmt.Errorf("%s: members %q and %q both become %q after substitution", at, prev, k, nk)
		}
		from[nk] = k
		if out[nk], err = s.tree(v[k], at, depth); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Bounds on what a Kickstart reads: any one file (the Kickstart file or an
// include), and everything together (one file may be included many times).
const (
	maxFileBytes  = 4 << 20
	maxTotalBytes = 16 << 20
)
