package kickstart

import (
	"os"
	"strings"
	"testing"
)

func newSubstituter(t testing.TB, vars map[string]string, env map[string]string) *substituter {
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &substituter{root: root, budget: maxTotalBytes, raw: vars, vars: map[string]string{}, resolving: map[string]bool{},
		getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}

// TestSubstitutionMemberCollision: two member names that substitute to the
// same name used to keep one of the two values at random (map order). It is
// an error naming the member and both spellings.
func TestSubstitutionMemberCollision(t *testing.T) {
	tests := []struct {
		name  string
		doc   map[string]any
		wants []string
	}{
		{"two variables", map[string]any{"#{a}": 1.0, "#{b}": 2.0}, []string{`"x"`, `"#{a}"`, `"#{b}"`}},
		{"variable and literal", map[string]any{"x": 1.0, "#{a}": 2.0}, []string{`"x"`, `"#{a}"`}},
		{"environment and literal", map[string]any{"x": 1.0, "#{ENV.X}": 2.0}, []string{`"x"`, `"#{ENV.X}"`}},
		{"nested object", map[string]any{"body": map[string]any{"#{a}": 1.0, "#{b}": 2.0}}, []string{`"x"`, "body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // map order is random: every order must fail
				s := newSubstituter(t, map[string]string{"a": "x", "b": "x"}, map[string]string{"X": "x"})
				out, err := s.tree(tt.doc, "", 0)
				if err == nil {
					t.Fatalf("no error; kept %v", out)
				}
				for _, w := range tt.wants {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error lacks %s: %v", w, err)
					}
				}
			}
		})
	}
	s := newSubstituter(t, map[string]string{"a": "x", "b": "y"}, nil)
	out, err := s.tree(map[string]any{"#{a}": 1.0, "#{b}": 2.0}, "", 0)
	if m, _ := out.(map[string]any); err != nil || m["x"] != 1.0 || m["y"] != 2.0 || len(m) != 2 {
		t.Fatalf("distinct names: %v, %v", out, err)
	}
}
