package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed base.json paths/*.json
var files embed.FS

var (
	once sync.Once
	doc  []byte
	err  error
)

// Document is the assembled description as indented JSON with sorted keys,
// the same bytes on every build. It panics if the embedded files do not
// assemble (TestAssemble fails first).
func Document() []byte {
	once.Do(func() { doc, err = Assemble(files) })
	if err != nil {
		panic(err)
	}
	return doc
}

// Assemble merges base.json and every paths/*.json of fsys. A fragment is an
// object with "paths" and optionally "components"; the same method on the
// same path, or the same component name, in two files is an error, so two
// branches that both add an endpoint cannot silently overwrite each other.
func Assemble(fsys fs.FS) ([]byte, error) {
	root, err := readObject(fsys, "base.json")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "paths/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	paths := object(root, "paths")
	comps := object(root, "components")
	for _, name := range names {
		frag, err := readObject(fsys, name)
		if err != nil {
			return nil, err
		}
		for k := range frag {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("%s: unexpected top-level key %q (only paths and components)", name, k)
			}
		}
		for p, ops := range object(frag, "paths") {
			if err := mergeOps(paths, p, ops, name); err != nil {
				return nil, err
			}
		}
		for kind, entries := range object(frag, "components") {
			dst := object(comps, kind)
			m, ok := entries.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: components.%s is not an object", name, kind)
			}
			for k, v := range m {
				if _, dup := dst[k]; dup {
					return nil, fmt.Errorf("%s: components.%s.%s is defined twice", name, kind, k)
				}
				dst[k] = v
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mergeOps(paths map[string]any, p string, ops any, file string) error {
	m, ok := ops.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: path %s is not an object", file, p)
	}
	dst := object(paths, p)
	for method, op := range m {
		if _, dup := dst[method]; dup {
			return fmt.Errorf("%s: %s %s is defined twice", file, strings.ToUpper(method), p)
		}
		dst[method] = op
	}
	return nil
}

func readObject(fsys fs.FS, name string) (map[string]any, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// object returns m[key] as an object, creating it when missing.
func object(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}
